"""`coach serve`: the sessions in a folder, on the local network, for a phone.

`catalog` finds the sessions by their tags, `page` and `feed` describe them for a person
and for a podcast app, `app` answers requests for them (and nothing else), `server` runs it
with limits fit for a shared Wi-Fi, `network` finds the addresses a phone can use and the
address's unguessable part, and `qr` draws the address for a phone's camera.
"""
