"""The key names and value lists of the catalogue format, in one place for
the loader, the JSON Schema and the tests (so they cannot drift)."""

from __future__ import annotations

TOP_KEYS = ("series", "defaults", "tracks", "clients")
SERIES_KEYS = (
    "title",
    "author",
    "description",
    "link",
    "cover",
    "language",
    "category",
    "explicit",
    "owner",
    "copyright",
)
SERIES_REQUIRED = ("title", "author", "description", "link")
OWNER_KEYS = ("name", "email")
DEFAULTS_KEYS = (
    "format", "bitrate", "engine", "voice", "rate", "loudness", "captions", "strict", "recordings",
)
TRACK_KEYS = ("script", "id", "profile", "title", "set", "published", "lengths", "voices",
              "per_voice")
MAX_VOICES = 8
"""Voices a track may offer (each is a sample on the listener's page)."""
CLIENT_KEYS = ("id", "name", "tracks")

FORMATS = ("mp3", "m4a", "m4b", "ogg", "opus", "flac")
"""What a podcast player can play from a feed (no WAV: no tags, no chapters):
the catalogue's own rule on top of the formats ``cuecast.encode`` writes."""
# What the defaults' values mean, their ranges and their words for "off" are the
# command line's: ``cuecast.request`` reads them (``option_value``), ``cuecast.limits``
# bounds them.

MAX_LENGTHS = 12
"""Length choices a track may offer the listener."""
MAX_TRACKS = 1000
MAX_CLIENTS = 1000
MAX_TEXT_CHARS = 4000
"""A series description may be a few paragraphs; nothing more."""

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,79}$"
"""A track or client id becomes a file name and a URL part: lower case,
digits, '.', '_' and '-', starting with a letter or digit."""

APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing",
                 "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health",
                         "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": ("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies",
                "Home & Garden", "Video Games"),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": ("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
             "Sports News", "Tech News"),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism",
                                "Religion", "Spirituality"),
    "Science": ("Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics",
                "Natural Sciences", "Nature", "Physics", "Social Sciences"),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel",
                          "Relationships"),
    "Sports": ("Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf",
               "Hockey", "Rugby", "Running", "Soccer", "Swimming", "Tennis", "Volleyball",
               "Wilderness", "Wrestling"),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews",
                  "TV Reviews"),
}  # fmt: skip
"""Apple Podcasts' categories and subcategories (written "Category/Sub")."""
