"""Candidate privacy on the booth: private files, sessions sealed with age, erasure.

- `files`: every file and folder the booth writes is its user's alone (0600/0700).
- `age`: encrypting a finished session's files to the organisation's age recipients, and
  decrypting them again on the recipient's side (`booth takes open`).
- `seal`: turning a finished session's plaintext directory into encrypted files plus a clear
  manifest that names nobody, and finishing a seal a crash interrupted.
- `refs`: the keyed hash of each candidate reference, so `booth takes forget` finds sessions
  whose manifests are encrypted.
- `upload`: which files of a session are uploaded, and their tus metadata.
"""
