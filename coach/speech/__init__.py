"""Speech: text to trimmed clips of known length, through an engine, a cache and a phrase book.

`voices` turns what `--voice` was given into an engine and a voice (`choices` checks a rate
or a voice); `espeak` and `piper` are the engines (`types.SpeechEngine`); `wording` is how a
phrase is said; `trimming` cuts a clip to its sound; `cache` keeps clips on disk; and
`phrases.PhraseBook` is every phrase of a session as a trimmed clip of known length.
"""
