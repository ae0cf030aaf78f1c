#!/usr/bin/env python3
"""Writes the seed corpus of the kv_decode fuzz target (tests/fuzz/corpus/kv_decode/): valid
vLLM KV event batches of every event kind, in both encodings (structs as arrays with the tag
first, and as maps with a "type" key), with integer and 32-byte block hashes, omitted and
unknown trailing fields. Python has no msgpack module here, so the few encodings needed are
written by hand. Files are named by the SHA-1 of their content; rerunning is idempotent.
Usage: tests/fuzz/gen_kv_decode_corpus.py [output-dir]"""
import hashlib
import os
import struct
import sys


def pack(v):
    """msgpack encoding of None, bool, int, float, str, bytes, list/tuple and dict."""
    if v is None:
        return b"\xc0"
    if v is True or v is False:
        return b"\xc3" if v else b"\xc2"
    if isinstance(v, int):
        if 0 <= v <= 0x7F:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if v >= 0:
            for tag, fmt, top in ((0xCC, ">B", 0xFF), (0xCD, ">H", 0xFFFF),
                                  (0xCE, ">I", 0xFFFFFFFF), (0xCF, ">Q", 2**64 - 1)):
                if v <= top:
                    return bytes([tag]) + struct.pack(fmt, v)
        for tag, fmt, lo in ((0xD0, ">b", -2**7), (0xD1, ">h", -2**15), (0xD2, ">i", -2**31),
                             (0xD3, ">q", -2**63)):
            if v >= lo:
                return bytes([tag]) + struct.pack(fmt, v)
        raise ValueError(v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return bytes([0xA0 | len(b)]) + b
        return b"\xd9" + bytes([len(b)]) + b if len(b) < 256 else b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, bytes):
        return b"\xc4" + bytes([len(v)]) + v
    if isinstance(v, (list, tuple)):
        head = bytes([0x90 | len(v)]) if len(v) < 16 else b"\xdc" + struct.pack(">H", len(v))
        return head + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        head = bytes([0x80 | len(v)]) if len(v) < 16 else b"\xde" + struct.pack(">H", len(v))
        return head + b"".join(pack(k) + pack(x) for k, x in v.items())
    raise TypeError(type(v))


STORED_FIELDS = ["block_hashes", "parent_block_hash", "token_ids", "block_size", "lora_id",
                 "medium", "lora_name", "extra_keys", "group_idx", "kv_cache_spec_kind",
                 "kv_cache_spec_sliding_window"]
REMOVED_FIELDS = ["block_hashes", "medium", "group_idx"]


def event(kind, as_map, fields, names):
    if as_map:
        d = {"type": kind}
        d.update({n: v for n, v in zip(names, fields)})
        return d
    return [kind] + list(fields)


def stored(as_map, hashes, parent, first_token, bs, extra=0, medium="GPU", lora=None):
    tokens = [first_token + i for i in range(len(hashes) * bs)]
    fields = [hashes, parent, tokens, bs, None, medium, lora]
    tail = [None, 0, "full_attention", None][:extra]
    return event("BlockStored", as_map, fields + tail, STORED_FIELDS)


def removed(as_map, hashes, medium="GPU", group=None):
    fields = [hashes, medium] + ([group] if group is not None else [])
    return event("BlockRemoved", as_map, fields, REMOVED_FIELDS)


def cleared(as_map):
    return {"type": "AllBlocksCleared"} if as_map else ["AllBlocksCleared"]


def batch(as_map, events, ts=1770000000.25, rank=0):
    if as_map:
        d = {"ts": ts, "events": events}
        if rank is not None:
            d["data_parallel_rank"] = rank
        return pack(d)
    return pack([ts, events] + ([rank] if rank is not None else []))


def messages():
    sha = lambda i: hashlib.sha256(b"block%d" % i).digest()
    for as_map in (False, True):
        for h in (lambda i: 1000 + i, lambda i: -1 - i, lambda i: 2**64 - 1 - i, sha):
            yield batch(as_map, [stored(as_map, [h(0), h(1)], None, 1, 4)])
            yield batch(as_map, [stored(as_map, [h(2)], h(1), 9, 4, extra=2),
                                 removed(as_map, [h(0)])])
            yield batch(as_map, [removed(as_map, [h(1), h(2)], "CPU", 1), cleared(as_map)],
                        rank=None)
        yield batch(as_map, [stored(as_map, [5, 6, 7], 4, 100, 16, extra=4, lora="adapter")])
        yield batch(as_map, [cleared(as_map)], ts=3)
        yield batch(as_map, [])
    # Old array shape: [ts, events], BlockStored without medium and later fields.
    yield pack([12.5, [["BlockStored", [1], None, [1, 2], 2, None]]])
    yield pack([1.0, [["BlockStored", [1, 2], None, [1, 2, 3, 4], 2, None, None, None,
                       [None, [["img", 7]]], 0]], 0])
    yield pack([1.0, [["SomeFutureEvent", 1, 2], ["AllBlocksCleared"]], 0, "future"])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "kv_decode")
    os.makedirs(out, exist_ok=True)
    n = 0
    for m in messages():
        with open(os.path.join(out, hashlib.sha1(m).hexdigest()), "wb") as f:
            f.write(m)
        n += 1
    print("gen_kv_decode_corpus: %d files in %s" % (n, out))


if __name__ == "__main__":
    main()
