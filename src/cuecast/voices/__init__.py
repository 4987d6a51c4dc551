"""Speech engines, the speech cache and the speaker that feeds the mixer."""
