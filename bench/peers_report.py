#!/usr/bin/env python3
"""Turns the per-file results of bench/peers.sh into a Markdown table (stdlib only).

    python3 bench/peers_report.py OUT_DIR

OUT_DIR holds (written by peers.sh):
  files.tsv          path<TAB>label            label: phishing | ham | spam | modern_ham |
                                               modern_phishing (non-empty files)
  empty.tsv          path<TAB>label            empty files, skipped and only counted
  timing.tsv         tool<TAB>seconds<TAB>messages   wall clock over the whole list
  healthguard.jsonl  {"path","verdict","score","institution","findings"} per file
  rspamd.tsv         path<TAB>flagged<TAB>score<TAB>action<TAB>SYMBOL=weight,...
  spamassassin.tsv   path<TAB>flagged<TAB>score      flagged: 1, 0, or ? (not checked)
  versions.txt       name<TAB>text  (optional)

A file with no result (or "?") counts as not flagged and is reported in the "errors"
column. Recall is over phishing, FPR over ham, precision and F1 over phishing + ham only;
spam is reported apart (share flagged). The modern sets (real mail of 2015-2026, when present)
have columns of their own: FPR over modern_ham, recall over modern_phishing.
"""
import json
import os
import sys

# rspamd's stock greylist threshold (/etc/rspamd/actions.conf), the lowest action
RSPAMD_GREYLIST = 4.0


def offline_artefact(symbol):
    """rspamd symbols that fire only because of the offline set-up: no client host name
    was passed (HFILTER_HOSTNAME_UNKNOWN) or a DNS lookup failed (NORES*, RDNS_*)."""
    return symbol == "HFILTER_HOSTNAME_UNKNOWN" or "_NORES" in symbol or symbol.startswith("RDNS_")


def rspamd_score(row, strip_artefacts):
    """An rspamd.tsv row's score, less the offline artefacts' weights when asked; None when
    the row has no number."""
    syms = [x.rsplit("=", 1) for x in (row[4].split(",") if len(row) > 4 and row[4] else [])]
    try:
        artefacts = sum(float(w) for name, w in syms if offline_artefact(name)) if strip_artefacts else 0.0
        return float(row[2]) - artefacts
    except ValueError:
        return None


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def norm(p):
    return os.path.realpath(p)


def load_labels(out):
    labels = {}
    for row in read_tsv(os.path.join(out, "files.tsv")):
        labels[norm(row[0])] = row[1]
    empty = {}
    for row in read_tsv(os.path.join(out, "empty.tsv")):
        empty[row[1]] = empty.get(row[1], 0) + 1
    return labels, empty


def load_healthguard(out):
    """path -> (verdict, score, findings) ; verdict None when unreadable."""
    res = {}
    path = os.path.join(out, "healthguard.jsonl")
    if not os.path.exists(path):
        return res
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                o = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "path" in o:
                res[norm(o["path"])] = (o.get("verdict"), o.get("score"), o.get("findings") or [])
    return res


def rows_for(labels, flagged):
    """flagged: path -> True/False/None (None = no result). Returns the counts."""
    c = {"tp": 0, "fn": 0, "fp": 0, "tn": 0, "spam": 0, "spam_flag": 0, "err": 0, "n": {},
         "mtp": 0, "mfn": 0, "mfp": 0, "mtn": 0}
    for p, lab in labels.items():
        c["n"][lab] = c["n"].get(lab, 0) + 1
        v = flagged.get(p)
        if v is None:
            c["err"] += 1
            v = False
        if lab == "phishing":
            c["tp" if v else "fn"] += 1
        elif lab == "ham":
            c["fp" if v else "tn"] += 1
        elif lab == "spam":
            c["spam"] += 1
            c["spam_flag"] += int(v)
        elif lab == "modern_phishing":
            c["mtp" if v else "mfn"] += 1
        elif lab == "modern_ham":
            c["mfp" if v else "mtn"] += 1
    return c


def at_fp_budget(labels, scores, budget):
    """The lowest threshold on `scores` (path -> float or None) flagging at most `budget` ham,
    with the counts it gives: (threshold, counts), or None without scores."""
    ham = sorted((s for p, s in scores.items() if labels.get(p) == "ham" and s is not None), reverse=True)
    if not ham and not scores:
        return None
    # Flag score >= t; the (budget+1)-th highest ham score must stay below t.
    limit = ham[budget] if len(ham) > budget else float("-inf")
    candidates = sorted({s for s in scores.values() if s is not None and s > limit})
    if not candidates:
        return None
    t = candidates[0]
    return t, rows_for(labels, {p: (s is not None and s >= t) for p, s in scores.items()})


def pct(a, b):
    return f"{100.0 * a / b:.1f}%" if b else "–"


def metrics(c):
    tp, fn, fp, tn = c["tp"], c["fn"], c["fp"], c["tn"]
    recall = tp / (tp + fn) if tp + fn else 0.0
    prec = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * prec * recall / (prec + recall) if prec + recall else 0.0
    return {
        "recall": pct(tp, tp + fn),
        "fpr": pct(fp, fp + tn),
        "precision": f"{prec:.3f}" if tp + fp else "–",
        "f1": f"{f1:.3f}",
        "spam": pct(c["spam_flag"], c["spam"]),
        "modern_recall": pct(c["mtp"], c["mtp"] + c["mfn"]),
        "modern_fpr": pct(c["mfp"], c["mfp"] + c["mtn"]),
    }


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit(__doc__)
    out = sys.argv[1]
    labels, empty = load_labels(out)
    timing = {r[0]: (float(r[1]), int(r[2])) for r in read_tsv(os.path.join(out, "timing.tsv")) if len(r) >= 3}
    versions = read_tsv(os.path.join(out, "versions.txt"))

    def speed(tool):
        if tool not in timing or timing[tool][0] <= 0:
            return "–"
        secs, n = timing[tool]
        return f"{n / secs:,.0f}" if n / secs >= 100 else f"{n / secs:.1f}"

    table = []  # (tool row name, speed, counts)

    hg = load_healthguard(out)
    if hg:
        table.append(("HealthGuard: suspicious or phishing", speed("healthguard"),
                      rows_for(labels, {p: v[0] in ("suspicious", "phishing") for p, v in hg.items() if v[0]})))
        table.append(("HealthGuard: phishing only", speed("healthguard"),
                      rows_for(labels, {p: v[0] == "phishing" for p, v in hg.items() if v[0]})))

    rs = {norm(r[0]): r for r in read_tsv(os.path.join(out, "rspamd.tsv")) if len(r) >= 4}
    if rs:
        table.append(("rspamd: any action (not \"no action\")", speed("rspamd"),
                      rows_for(labels, {p: r[1] == "1" for p, r in rs.items()})))
        table.append(("rspamd: reject only", speed("rspamd"),
                      rows_for(labels, {p: r[3] == "reject" for p, r in rs.items()})))

        def without_artefacts(r):
            score = rspamd_score(r, strip_artefacts=True)
            return score is not None and score >= RSPAMD_GREYLIST

        table.append(("rspamd: any action, minus offline artefacts (diagnostic)", speed("rspamd"),
                      rows_for(labels, {p: without_artefacts(r) for p, r in rs.items()})))

    sa = {norm(r[0]): r for r in read_tsv(os.path.join(out, "spamassassin.tsv")) if len(r) >= 2}
    if sa:
        table.append(("SpamAssassin: score ≥ 5 (is-spam)", speed("spamassassin"),
                      rows_for(labels, {p: (r[1] == "1") if r[1] in ("0", "1") else None for p, r in sa.items()})))

    # Each peer at HealthGuard's false-positive rate: the lowest score threshold whose ham FPR
    # is no higher, chosen on these very files (which favours the peer).
    matched = []
    if hg:
        hg_c = rows_for(labels, {p: v[0] in ("suspicious", "phishing") for p, v in hg.items() if v[0]})
        budget = hg_c["fp"]
        scored = []
        if rs:
            scored.append(("rspamd score", {p: rspamd_score(r, False) for p, r in rs.items()}))
            scored.append(("rspamd score minus offline artefacts", {p: rspamd_score(r, True) for p, r in rs.items()}))
        if sa:
            def sa_score(r):
                try:
                    return float(r[2])
                except (ValueError, IndexError):
                    return None
            scored.append(("SpamAssassin score", {p: sa_score(r) for p, r in sa.items()}))
        for name, scores in scored:
            best = at_fp_budget(labels, scores, budget)
            if best:
                matched.append((name, best))

    n = {}
    for lab in labels.values():
        n[lab] = n.get(lab, 0) + 1
    print(
        f"Offline, same {len(labels):,} files: phishing_pot {n.get('phishing', 0):,} (phishing), "
        f"SpamAssassin ham {n.get('ham', 0):,}, SpamAssassin spam {n.get('spam', 0):,} (reported apart), "
        f"modern ham {n.get('modern_ham', 0):,}, modern phishing {n.get('modern_phishing', 0):,}; "
        f"empty files skipped: {sum(empty.values())}"
        + (f" ({', '.join(f'{k} {v}' for k, v in sorted(empty.items()))})" if empty else "")
        + "."
    )
    print()
    modern = n.get("modern_ham", 0) + n.get("modern_phishing", 0) > 0
    head = "| tool: flagged when | msg/s | phishing recall | ham FPR | precision | F1 | spam flagged |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    if modern:
        head += " modern ham FPR | modern phishing recall |"
        rule += "---:|---:|"
    print(head + " errors |")
    print(rule + "---:|")
    for name, sp, c in table:
        m = metrics(c)
        extra = f" {m['modern_fpr']} | {m['modern_recall']} |" if modern else ""
        print(f"| {name} | {sp} | {m['recall']} | {m['fpr']} | {m['precision']} | {m['f1']} | {m['spam']} |{extra} {c['err']} |")
    print()
    print("| tool: flagged when | TP | FN | FP | TN |")
    print("|---|---:|---:|---:|---:|")
    for name, _, c in table:
        print(f"| {name} | {c['tp']} | {c['fn']} | {c['fp']} | {c['tn']} |")
    print()
    if matched:
        print(f"At HealthGuard's false-positive rate ({hg_c['fp']} of {hg_c['fp'] + hg_c['tn']} ham flagged), "
              "each peer's best threshold on these files:")
        print()
        print("| peer score | threshold | phishing recall | ham FPR |")
        print("|---|---:|---:|---:|")
        for name, (thr, c) in matched:
            m = metrics(c)
            print(f"| {name} | ≥ {thr:g} | {m['recall']} | {m['fpr']} |")
        print()
    if versions:
        for row in versions:
            print(f"- {row[0]}: {' '.join(row[1:])}")
        print()
    for tool, (secs, cnt) in sorted(timing.items()):
        print(f"- {tool}: {cnt:,} messages in {secs:.1f} s (wall clock)")
    print()
    print(
        "Precision and F1 depend on this corpus's phishing:ham mix; recall, FPR and msg/s do not. "
        "The diagnostic rspamd row subtracts the symbols that fire only because of the offline "
        "set-up (HFILTER_HOSTNAME_UNKNOWN: no client host name given; *_NORES*, RDNS_*: failed DNS) "
        f"and applies the greylist threshold {RSPAMD_GREYLIST:g} again."
    )


if __name__ == "__main__":
    main()
