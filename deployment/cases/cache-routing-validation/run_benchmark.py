#!/usr/bin/env python3
"""Runs vLLM's serving benchmark (benchmarks/serve.py, `vllm bench serve`) from a vLLM source
checkout, as the reference's run_benchmark.py did: the checkout goes first on sys.path, vLLM's
own `serve` argument parser is built, and its main coroutine runs with the remaining arguments.

One addition, because stock vLLM sends no prompt_cache_key: `--prompt-cache-key PATTERN` adds a
prompt_cache_key to every request, computed from the dataset record the request's prompt came
from (the record whose prompt text the request contains, so a client-side chat template does no
harm). PATTERN uses infini-bench's placeholders: {prefix_id}, {conversation_id}, {request_id},
{VAR % N}, {VAR // N}. Without it no key is sent (round-robin and single-instance runs).

Usage: run_benchmark.py VLLM_DIR [--prompt-cache-key PATTERN] <vllm bench serve arguments>
"""
import asyncio
import json
import os
import re
import sys

PLACEHOLDER = re.compile(r"\{\s*(\w+)\s*(?:(%|//)\s*(\d+)\s*)?\}")


def usage(msg):
    sys.stderr.write("run_benchmark.py: %s\n%s" % (msg, __doc__.split("Usage:")[1]))
    sys.exit(2)


def split_own_args(argv):
    """Returns (vllm_dir, key pattern or None, the arguments left for vLLM)."""
    if not argv or argv[0].startswith("-"):
        usage("the first argument must be the vLLM checkout")
    vllm_dir, rest, pattern = argv[0], [], None
    i = 1
    while i < len(argv):
        if argv[i] == "--prompt-cache-key" and i + 1 < len(argv):
            pattern = argv[i + 1]
            i += 2
        elif argv[i].startswith("--prompt-cache-key="):
            pattern = argv[i].split("=", 1)[1]
            i += 1
        else:
            rest.append(argv[i])
            i += 1
    return vllm_dir, pattern, rest


def import_vllm_serve(vllm_dir):
    """Imports vLLM's serve module and request functions from the checkout."""
    if not os.path.isfile(os.path.join(vllm_dir, "vllm", "benchmarks", "serve.py")):
        usage("%s has no vllm/benchmarks/serve.py" % vllm_dir)
    sys.path.insert(0, os.path.abspath(vllm_dir))
    from vllm.benchmarks import serve  # noqa: E402 (needs the path above)
    try:
        from vllm.benchmarks.lib import endpoint_request_func as funcs
    except ImportError:  # older layouts
        from vllm.benchmarks import endpoint_request_func as funcs
    try:
        from vllm.utils.argparse_utils import FlexibleArgumentParser
    except ImportError:
        from vllm.utils import FlexibleArgumentParser
    return serve, funcs, FlexibleArgumentParser


def format_key(pattern, record, request_id):
    def value(m):
        name, op, n = m.group(1), m.group(2), m.group(3)
        v = request_id if name == "request_id" else record.get(name)
        if not isinstance(v, int):
            raise SystemExit("run_benchmark.py: the dataset has no %s for %s" % (name, pattern))
        if op == "%":
            v %= int(n)
        elif op == "//":
            v //= int(n)
        return str(v)

    return PLACEHOLDER.sub(value, pattern.replace("{{", "\0").replace("}}", "\1")) \
        .replace("\0", "{").replace("\1", "}")


def load_records(path):
    """Dataset records with their prompt text (prompt, else the joined message contents)."""
    records = []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            text = rec.get("prompt")
            if not isinstance(text, str):
                text = "\n".join(m.get("content", "") for m in rec.get("messages", []))
            records.append((text, rec))
    return records


def prompt_text(prompt):
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list):
        return "\n".join(p.get("content", "") if isinstance(p, dict) else str(p) for p in prompt)
    return str(prompt)


def add_cache_keys(funcs, backend, dataset, pattern):
    """Wraps the backend's request function so each request carries its record's key."""
    records = load_records(dataset)
    by_text = {text: rec for text, rec in records}
    original = funcs.ASYNC_REQUEST_FUNCS[backend]
    counter = {"n": 0}

    def record_of(text):
        rec = by_text.get(text)
        if rec is None:
            rec = next((r for t, r in records if t and t in text), None)
        return rec

    async def with_key(*args, **kwargs):
        req = kwargs.get("request_func_input", args[0] if args else None)
        rec = record_of(prompt_text(req.prompt))
        if rec is not None:
            key = format_key(pattern, rec, counter["n"])
            req.extra_body = dict(req.extra_body or {}, prompt_cache_key=key)
        counter["n"] += 1
        return await original(*args, **kwargs)

    funcs.ASYNC_REQUEST_FUNCS[backend] = with_key


def main():
    vllm_dir, pattern, rest = split_own_args(sys.argv[1:])
    serve, funcs, parser_cls = import_vllm_serve(vllm_dir)
    parser = parser_cls(description="vLLM serving benchmark (via run_benchmark.py)")
    serve.add_cli_args(parser)
    args = parser.parse_args(rest)
    if pattern:
        if not args.dataset_path:
            usage("--prompt-cache-key needs --dataset-path")
        add_cache_keys(funcs, args.backend, args.dataset_path, pattern)
    asyncio.run(serve.main_async(args))


if __name__ == "__main__":
    main()
