#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_api (wasm-tests/fuzz/corpus/seed-*) in its input format.

Each operation is an opcode byte (low nibble: the operation; (byte >> 4) % 3: the model slot)
and its operand bytes, as read by wasm-tests/fuzz/fuzz_api.c. Run from anywhere:
    python3 wasm-tests/fuzz/make_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def op(code, slot=0):
    return bytes([code | (slot << 4)])


def create(json, slot=0):  # raw config text (shape byte >= 250)
    text = json.encode()
    assert len(text) < 256, json
    return op(0, slot) + bytes([250, len(text)]) + text


def train(steps, slot=0):
    if steps < 9:
        return op(3, slot) + bytes([0, steps])
    return op(3, slot) + bytes([200]) + struct.pack("<H", steps % 70000)  # 9..69999 steps


def train_hostile(i, slot=0):  # -1, INT32_MIN, -2147483647, INT32_MAX, 1e9
    return op(3, slot) + bytes([216, i])


def metrics(samples, slot=0, out=0):  # out: 0 exact, 200.. short, 220.. long, 255 NULL
    return op(5, slot) + bytes([0]) + struct.pack("<i", -1) + struct.pack("<H", samples - 1) + bytes([out])


def metrics_null(slot=0):  # on an empty slot: tm_metrics(NULL, ...)
    return op(5, slot) + bytes([0])


def metrics_hostile(i, slot=0):  # 0, -1, INT32_MIN, 1048577, INT32_MAX, 1048576
    return op(5, slot) + bytes([200]) + struct.pack("<i", 99) + bytes([i, 0])


def regions(grid, slot=0, out=0):  # out: 0 exact, 220.. short, 254 zero, 255 NULL
    return op(6, slot) + bytes([0, grid - 1, out])


def regions_hostile(i, slot=0):  # 0, -1, INT32_MIN, 2049, INT32_MAX, 65536, 46341
    return op(6, slot) + bytes([200, i, 0])


SPECIAL = {"nan": 0, "-nan": 1, "inf": 2, "-inf": 3, "0": 4, "-0": 5, "1e30": 6, "-1e30": 7, "max": 8,
           "denorm": 9, "1e-38": 10, "1e10": 11, "1e19": 12, "1": 13, "-1": 14, "1e5": 15}


def write(values, slot=0):  # [(index, special name)]; index None fills the whole arena
    b = op(7, slot) + bytes([len(values) - 1])
    for at, name in values:
        b += struct.pack("<H", at or 0) + bytes([255 if at is None else SPECIAL[name]])
        if at is None:
            b += struct.pack("<f", float(name))
    return b


def history(slot=0):
    return op(9, slot)


def free(slot=0):
    return op(10, slot)


def misc(mode):
    return op(11) + bytes([mode]) + b"\x10\x00"


SEEDS = {
    "dense-train-metrics": create('{"n":5,"m":2,"batch":16}') + train(8) + metrics(64) + history() + train(3)
    + metrics(1),
    "moe-n2-regions": create('{"n":2,"m":1,"experts":3,"k":1,"batch":8,"router_init":"diagonal"}') + train(8)
    + regions(32) + regions(1) + metrics(16),
    "moe-n3-simplex": create('{"n":3,"m":2,"experts":4,"router_init":"khot_random","batch":8,"seed":7}')
    + regions(17) + train(20) + regions(64, out=230) + metrics(8),
    "topk-load-balance": create('{"n":8,"m":2,"experts":4,"k":2,"load_balance":true,"lb_alpha":100,"batch":8,'
                                '"schedule":"cosine","steps":10}') + train(12) + metrics(40) + history(),
    "nan-weight": create('{"n":4,"m":2,"batch":4}') + write([(3, "nan")]) + train(5) + metrics(8) + train(1)
    + train_hostile(3) + history(),
    "huge-weight": create('{"n":4,"m":2,"batch":4}') + write([(0, "1e30"), (1, "1e19")]) + metrics(8) + train(2)
    + metrics(8),
    "fill-arena": create('{"n":6,"m":3,"experts":2,"batch":4}') + write([(None, "1e10")]) + metrics(4)
    + regions(4) + train(1),
    "lr-blowup": create('{"n":20,"m":5,"lr":10,"weight_decay":10,"batch":8}') + train(300) + train(3) + metrics(8)
    + history(),
    "over-the-cap": create('{"n":4096,"m":4096,"experts":64}') + create('{"n":1000,"batch":65536}')
    + create('{"n":4096,"experts":1024,"m":1}') + create('{"batch":65536,"n":4096}') + train(1) + metrics_null(),
    "hostile-numbers": create('{"p":nan}') + create('{"lr":1e999}') + create('{"n":-0}') + create('{"n":2.5}')
    + create('{"seed":4294967296}') + create('{"eps":1e-300}') + create('{"beta2":0.99999999}')
    + create('{"lr":"0.1"}') + create('{"n":0x10}') + create('{"batch":null}') + create('{"k":2}'),
    "malformed-json": create('{"n":20') + create('[1,2]') + create('{"n":20} x') + create('{"colour":1}')
    + create('{"loss":"su') + create('{"' + 'a' * 80 + '":1}') + create('{"p":"a\nb"}') + create('')
    + create('{"n" 2}') + create('{,}') + create('{"n":5.' + '0' * 100 + 'x}') + misc(200),
    "three-slots": create('{"n":2,"m":2,"batch":4}', 0) + create('{"n":3,"experts":2,"batch":4}', 1)
    + create('{"n":4,"experts":3,"k":3,"batch":2}', 2) + train(4, 1) + free(0) + train(4, 0) + metrics_null(0)
    + regions(8, 0) + history(0) + train(2, 2) + free(1) + metrics(3, 2) + free(2) + train(1, 2),
    "long-run-history": create('{"n":1,"m":1,"batch":1,"p":1}') + train(30000) + train(30000) + history()
    + train(8000) + history(),  # past 65536 entries: the history halves and its stride doubles
    "bad-call-args": create('{"n":3,"m":1,"experts":2,"batch":4}') + train_hostile(0) + train_hostile(1)
    + metrics_hostile(0) + metrics_hostile(1) + metrics_hostile(4) + metrics(8, out=205) + metrics(8, out=255)
    + regions_hostile(0) + regions_hostile(3) + regions(8, out=230) + regions(8, out=255) + misc(10) + misc(100),
    "options": create('{"importance":"decay_perm","perm_seed":5,"bias_init":"zero","router_init":"khot_ordered",'
                      '"experts":3,"n":6,"m":2,"schedule":"linear","steps":5,"loss":"mean",'
                      '"usage_inputs":"sparse","batch":8}') + train(8) + metrics(16)
    + create('{"importance":"last","importance_last":1000,"n":4,"m":1,"batch":4,"router_init":"zero"}', 1)
    + train(8, 1) + metrics(8, 1),
    # Regressions: each one failed an invariant before the fix named in docs/robustness.md.
    "regress-newline-in-message": create('{"p":"a\nb"}') + create('{"' + 'k\n' * 30 + '":1}'),
    "regress-round-trip": create('{"beta1":0.9999999,"lr":0.00123456789012345,"batch":4,"n":3,"m":1}') + train(2),
    "regress-float-rounding": create('{"eps":1e-300,"batch":4,"n":3}') + train(2)
    + create('{"beta2":0.99999999,"batch":4,"n":3}') + train(2)
    + create('{"beta1":0.99999999999,"batch":4,"n":3}') + train(2),
    "regress-metrics-overflow": create('{"n":5,"m":2,"batch":8}') + write([(4, "1e30")]) + metrics(8),
    # batch 1 leaves no slack for the metrics workspace the memory estimate once left out
    "regress-metrics-workspace": create('{"n":401,"m":1,"batch":1,"p":1}') + train(4) + metrics(138),
    # beta2 = 0.0005 is not tame: 30 steps grow weights whose squares overflow in tm_metrics
    "regress-metrics-tiny-beta2": create('{"n":2,"m":3,"batch":1,"beta2":0.0004730224609375,"bias_init":"zero",'
                                         '"seed":1763865658,"perm_seed":1702131055}')
    + train(6) + train(6) + train(6) + train(6) + train(6) + metrics(820),
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, "seed-" + name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")
