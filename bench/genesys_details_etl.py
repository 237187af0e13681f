"""Genesys conversation details to daily Parquet, the way the vendor tutorials show it.

The baseline ccetl's CPU is measured against (scripts/bench-cpu.sh): requests for HTTP, the json
module for parsing, pyarrow for Parquet. It does the work ccetl does for the `contacts` dataset on
the query path: a client-credentials token, the details query paged at 100 per page, one row per
conversation with the same columns (first queue, last agent, wait/talk/hold/after-call seconds,
keyed hashes of ani/dnis), and one zstd Parquet file per day. It does not retry, rate-limit,
write manifests or check anything: a floor for a Python ETL, not a rival.

Usage: python genesys_details_etl.py BASE_URL FROM TO OUT   (credentials in CCETL_SIM_GENESYS_*)
       python genesys_details_etl.py --dump-pages BASE_URL FROM TO DIR   (raw pages, for the
       serde floor of examples/details_parse_floor.rs)
"""

import datetime as dt
import hashlib
import hmac
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import requests

PAGE_SIZE = 100
KEY = os.environ.get("CCETL_SIM_PSEUDONYMIZE_KEY", "ccetl-demo-pseudonymisation-key").encode()


def token(session, base):
    answer = session.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(os.environ["CCETL_SIM_GENESYS_CLIENT_ID"], os.environ["CCETL_SIM_GENESYS_CLIENT_SECRET"]),
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def pages(session, base, day):
    start = dt.datetime.combine(day, dt.time(), dt.timezone.utc)
    interval = f"{start:%Y-%m-%dT%H:%M:%S.000Z}/{start + dt.timedelta(days=1):%Y-%m-%dT%H:%M:%S.000Z}"
    number = 1
    while True:
        body = {
            "interval": interval,
            "order": "asc",
            "orderBy": "conversationStart",
            "paging": {"pageSize": PAGE_SIZE, "pageNumber": number},
        }
        answer = session.post(f"{base}/api/v2/analytics/conversations/details/query", json=body)
        answer.raise_for_status()
        yield answer
        if number * PAGE_SIZE >= answer.json().get("totalHits", 0):
            return
        number += 1


def pseudonym(value):
    if value is None:
        return None
    return "h:" + hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()[:32]


def seconds(ms):
    return None if ms is None else ms / 1000.0


def parse_time(text):
    if text is None:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def row(conversation):
    first_queue = last_agent = wrap_up = disconnect = media = ani = dnis = None
    wait = talk = hold = acw = None
    abandoned = transferred = False
    for participant in conversation.get("participants", []):
        purpose = participant.get("purpose")
        if purpose == "agent" and participant.get("userId"):
            last_agent = participant["userId"]
        for session in participant.get("sessions", []):
            media = media or session.get("mediaType")
            if purpose == "customer":
                ani = ani or session.get("ani")
                dnis = dnis or session.get("dnis")
            for segment in session.get("segments", []):
                if segment.get("queueId") and first_queue is None:
                    first_queue = segment["queueId"]
                if segment.get("wrapUpCode"):
                    wrap_up = segment["wrapUpCode"]
                if purpose == "customer" and segment.get("disconnectType"):
                    disconnect = segment["disconnectType"]
            for metric in session.get("metrics", []):
                name, value = metric.get("name"), metric.get("value", 0)
                if name == "tAcd":
                    wait = (wait or 0) + value
                elif name == "tAbandon":
                    abandoned = True
                    wait = (wait or 0) + value
                elif name == "tTalk":
                    talk = (talk or 0) + value
                elif name == "tHeld":
                    hold = (hold or 0) + value
                elif name == "tAcw":
                    acw = (acw or 0) + value
                elif name == "nTransferred":
                    transferred = transferred or value > 0
    handle = None if talk is None else (talk or 0) + (hold or 0) + (acw or 0)
    known = {"conversationId", "conversationStart", "conversationEnd", "originatingDirection", "participants"}
    extra = {k: v for k, v in conversation.items() if k not in known}
    return {
        "conversation_id": conversation["conversationId"],
        "conversation_start": parse_time(conversation.get("conversationStart")),
        "conversation_end": parse_time(conversation.get("conversationEnd")),
        "direction": conversation.get("originatingDirection"),
        "media_type": media,
        "first_queue_id": first_queue,
        "last_agent_id": last_agent,
        "wrap_up_code": wrap_up,
        "abandoned": abandoned,
        "transferred": transferred,
        "disconnect_type": disconnect,
        "wait_seconds": seconds(wait),
        "talk_seconds": seconds(talk),
        "hold_seconds": seconds(hold),
        "acw_seconds": seconds(acw),
        "handle_seconds": seconds(handle),
        "ani": pseudonym(ani),
        "dnis": pseudonym(dnis),
        "extra": json.dumps(extra, sort_keys=True) if extra else None,
    }


def days(first, last):
    day = dt.date.fromisoformat(first)
    while day <= dt.date.fromisoformat(last):
        yield day
        day += dt.timedelta(days=1)


def main(argv):
    dump = argv[:1] == ["--dump-pages"]
    base, first, last, out = argv[1:] if dump else argv
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token(session, base)}"
    total = 0
    for day in days(first, last):
        rows = []
        for number, page in enumerate(pages(session, base, day), start=1):
            if dump:
                os.makedirs(out, exist_ok=True)
                with open(os.path.join(out, f"{day}-{number:04}.json"), "wb") as f:
                    f.write(page.content)
                continue
            for conversation in page.json().get("conversations", []):
                if conversation.get("conversationEnd"):
                    rows.append(row(conversation))
        if dump:
            continue
        folder = os.path.join(out, "contacts", f"date={day}")
        os.makedirs(folder, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), os.path.join(folder, "part-0.parquet"), compression="zstd")
        total += len(rows)
    print(total)


if __name__ == "__main__":
    main(sys.argv[1:])
