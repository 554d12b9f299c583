"""Independent implementations of the bundled APIs, written from the API documents.

They are not the apitwin mock: each is built the way the document's team would build it
(FastAPI for `accounts`, plain Starlette for `enterprise`, `directory`, `realtime` and
`messaging`), so the suite is proven on servers it did not shape. Their tokens name their user
and die when that user is renamed, deleted or logged out, as real ones do. Run one with
`python -m uvicorn tests.servers.<module>:app --port N`; `PLANT_500=1` plants a server error
behind authentication on an item endpoint. `realtime_starlette.py`, `messaging_starlette.py`
and `faithful_accounts_ws.py` serve themselves: `python tests/servers/<file> --port N`.
"""
