"""Hypothesis strategies: UK-format personal data of each kind, and texts that embed it."""

import random

from hypothesis import strategies as st

from privacy.detectors import luhn_ok

digits = lambda n: st.text("0123456789", min_size=n, max_size=n)  # noqa: E731

emails = st.builds(
    lambda user, host, tld: f"{user}@{host}.{tld}",
    st.from_regex(r"[a-z][a-z0-9._+-]{0,12}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True),
    st.sampled_from(["co.uk", "com", "org.uk", "net", "uk"]),
)
mobiles = st.builds(lambda a, b, style: style(a, b), digits(3), digits(6), st.sampled_from([
    lambda a, b: f"07{a} {b}", lambda a, b: f"07{a}{b}", lambda a, b: f"+44 7{a} {b}", lambda a, b: f"+447{a}{b}",
    lambda a, b: f"0044 7{a} {b}", lambda a, b: f"07{a}-{b}",
]))
# Area code and subscriber number make ten digits after the 0.
landlines = st.builds(
    lambda pair, style: style(pair[0], pair[1][:3], pair[1][3:]),
    st.sampled_from(["20", "121", "161", "131", "1632", "113"]).flatmap(
        lambda area: st.tuples(st.just(area), digits(10 - len(area)))),
    st.sampled_from([
        lambda area, a, b: f"0{area} {a} {b}",
        lambda area, a, b: f"(0{area}) {a}{b}",
        lambda area, a, b: f"+44 (0){area} {a} {b}",
        lambda area, a, b: f"+44 {area} {a}{b}",
    ]),
)
phones = st.one_of(mobiles, landlines)
ni_numbers = st.builds(
    lambda p1, p2, d, suffix, spaced: (f"{p1}{p2} {d[:2]} {d[2:4]} {d[4:]} {suffix}" if spaced
                                       else f"{p1}{p2}{d}{suffix}"),
    st.sampled_from("ABCEHJKLMNPRSTWXYZ"), st.sampled_from("ABCEHJKLMNPRSTWXYZ"), digits(6),
    st.sampled_from("ABCD"), st.booleans(),
).filter(lambda v: v[:2] not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
postcodes = st.builds(
    lambda out, d, inward, space: f"{out}{' ' if space else ''}{d}{inward}",
    st.sampled_from(["SW1A", "EC1A", "M1", "B33", "CR2", "DN55", "W1A", "LS6", "G2", "EH1"]),
    digits(1), st.sampled_from(["AA", "BB", "HN", "PQ", "XY", "LZ"]), st.booleans(),
)
bank_accounts = st.builds(
    lambda sc, acc, style: style(sc, acc), digits(6), digits(8), st.sampled_from([
        lambda sc, acc: f"sort code {sc[:2]}-{sc[2:4]}-{sc[4:]} account {acc}",
        lambda sc, acc: f"{sc[:2]}-{sc[2:4]}-{sc[4:]} {acc}",
        lambda sc, acc: f"account number {acc}, sort code {sc[:2]} {sc[2:4]} {sc[4:]}",
        lambda sc, acc: f"{sc}/{acc}",
    ]))


def _with_luhn(body):
    for check in "0123456789":
        if luhn_ok(body + check):
            return body + check
    raise AssertionError("no check digit")


cards = st.builds(
    lambda prefix, rest, spaced: (lambda n: " ".join(n[i:i + 4] for i in range(0, 16, 4)) if spaced else n)(
        _with_luhn(prefix + rest)),
    st.sampled_from(["4", "51", "55", "22", "6011"]), st.text("0123456789", min_size=11, max_size=11),
    st.booleans(),
).map(lambda n: n if len(n.replace(" ", "")) >= 13 else n)
dates = st.builds(lambda d, m, y, style: style(d, m, y), st.integers(1, 28), st.integers(1, 12),
                  st.integers(1930, 2005), st.sampled_from([
                      lambda d, m, y: f"{d:02d}/{m:02d}/{y}", lambda d, m, y: f"{y}-{m:02d}-{d:02d}",
                      lambda d, m, y: f"{d} {['Jan', 'February', 'Mar', 'April', 'May', 'June', 'July', 'Aug', 'Sept', 'Oct', 'Nov', 'December'][m - 1]} {y}",
                  ]))
dobs = st.builds(lambda label, date: (label, date),
                 st.sampled_from(["Date of birth: ", "DOB ", "dob=", "date_of_birth\": \"", "born on "]), dates)

KINDS = {
    "email": emails, "phone": phones, "ni-number": ni_numbers, "postcode": postcodes,
    "bank-account": bank_accounts, "card": cards,
}
# Plain words around the value: what a Plannr failure message looks like.
words = st.lists(st.sampled_from(
    ["Could", "not", "send", "SMS", "to", "client", "failed", "for", "record", "update", "the", "value",
     "is", "invalid", "step", "CRM", "Plannr", "error:", "-", "(", ")", ":", ","]), min_size=0, max_size=6,
).map(" ".join)


@st.composite
def personal_texts(draw, kinds=tuple(KINDS)):
    """(text, [raw values]) with one value of each kind in `kinds`, amid ordinary words."""
    parts, values = [draw(words)], []
    for kind in kinds:
        value = draw(KINDS[kind])
        values.append(value)
        parts += [value, draw(words)]
    label, date = draw(dobs)
    parts.append(f"; {label}{date}")
    values.append(date)
    random.Random(draw(st.integers(0, 1000))).shuffle(parts[:-1])
    return " ".join(parts) + ".", values
