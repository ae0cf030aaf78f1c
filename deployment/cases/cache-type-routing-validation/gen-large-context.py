#!/usr/bin/env python3
"""Writes the cache-type routing case's dataset: multi-turn conversations of which some open
with a large context, so that their requests' message content exceeds the router's
CACHE_TYPE_ROUTING_THRESHOLD (51200 bytes by default) and goes to the static-cache instance,
while the others stay below it and go to the paged one.

Same arguments, records and defaults as the reference's generator of the same name:
  turn k of a conversation appends a user message (turn 0: --context-len characters, or
  --large-context-len for a large-context conversation; later turns: --new-msg-len) and a
  simulated assistant reply (--context-len); each record carries the whole history up to and
  including that turn's reply, as a chat client resends it:
  {"prompt": "<role>: <content>" lines, "messages": [...], "conversation_id": c,
   "message_index": k, "has_large_context": bool}
  The first --num-large-context conversations open with a large context (or each one with
  probability --large-context-prob; 0.5 when neither is given). Conversations are written in a
  seeded random order (seed 42), each one's turns in order. No prompt_cache_key: size decides.
Python 3 standard library only; the same arguments give the same file on every machine.
"""
import argparse
import json
import random
import sys

TOPICS = ["artificial intelligence", "quantum computing", "space exploration", "climate change",
          "renewable energy", "biotechnology", "neural networks", "blockchain technology"]


def fill(opening, sentence, length):
    """`opening`, then `sentence` repeated, cut to exactly `length` characters."""
    text = opening
    while len(text) < length:
        text += sentence
    return text[:length]


def user_message(topic, turn, large, args):
    if turn == 0 and large:
        return fill("Let's discuss %s in depth; here is the background material. " % topic,
                    "Background on %s: history, methods, open problems and applications. "
                    % topic, args.large_context_len)
    if turn == 0:
        return fill("Let's discuss %s. " % topic, "Some context about %s. " % topic,
                    args.context_len)
    return fill("Following up on %s, one more question. " % topic,
                "Another detail about %s. " % topic, args.new_msg_len)


def assistant_reply(topic, args):
    return fill("Here is what I know about %s. " % topic,
                "A further point about %s and what it implies. " % topic, args.context_len)


def conversation(index, large, args):
    topic = TOPICS[index % len(TOPICS)]
    history, records = [], []
    for turn in range(args.messages_per_conv):
        history.append({"role": "user", "content": user_message(topic, turn, large, args)})
        history.append({"role": "assistant", "content": assistant_reply(topic, args)})
        records.append({
            "prompt": "\n".join("%s: %s" % (m["role"], m["content"]) for m in history),
            "messages": [dict(m) for m in history],
            "conversation_id": index,
            "message_index": turn,
            "has_large_context": large,
        })
    return records


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output", default="large_context.jsonl", help="JSONL file to write")
    p.add_argument("--num-conversations", type=int, default=4)
    p.add_argument("--messages-per-conv", type=int, default=8, help="turns per conversation")
    p.add_argument("--context-len", type=int, default=1024,
                   help="characters of a small first message and of every reply")
    p.add_argument("--new-msg-len", type=int, default=128,
                   help="characters of each later user message")
    p.add_argument("--large-context-prob", type=float, default=None,
                   help="probability that a conversation opens with a large context")
    p.add_argument("--num-large-context", type=int, default=None,
                   help="exactly this many (the first ones) open with a large context")
    p.add_argument("--large-context-len", type=int, default=16000,
                   help="characters of a large first message")
    args = p.parse_args()
    for name in ("num_conversations", "messages_per_conv", "context_len", "new_msg_len",
                 "large_context_len"):
        if getattr(args, name) <= 0:
            p.error("--%s must be positive" % name.replace("_", "-"))
    if args.large_context_prob is not None and not 0.0 <= args.large_context_prob <= 1.0:
        p.error("--large-context-prob must be between 0 and 1")
    if args.num_large_context is not None and args.num_large_context < 0:
        p.error("--num-large-context must not be negative")
    return args


def main():
    args = parse_args()
    rng = random.Random(42)
    n = args.num_conversations
    if args.num_large_context is not None:
        large = set(range(min(args.num_large_context, n)))
    else:
        prob = 0.5 if args.large_context_prob is None else args.large_context_prob
        large = {i for i in range(n) if rng.random() < prob}
    convs = [conversation(i, i in large, args) for i in range(n)]
    rng.shuffle(convs)
    with open(args.output, "w", encoding="utf-8") as f:
        for records in convs:
            for r in records:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    sizes = [sum(len(m["content"]) for m in r["messages"]) for c in convs for r in c]
    print("wrote %s: %d conversations x %d turns = %d requests, %d opening with %d characters;"
          " message content %d..%d bytes" % (args.output, n, args.messages_per_conv, len(sizes),
                                              len(large), args.large_context_len, min(sizes),
                                              max(sizes)))


if __name__ == "__main__":
    sys.exit(main())
