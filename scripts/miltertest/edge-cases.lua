-- Protocol edge cases for `healthguard milter`, driven by Debian's miltertest (the MTA side
-- of libmilter). Run by scripts/miltertest.sh, which starts the milter with
-- max_message_bytes = 1048576 and phishing = "reject" for reject.example.
-- Every check prints "ok   ..." or raises "FAIL ...".

local sock = "inet:" .. port .. "@127.0.0.1"

local function expect(cond, what)
    if not cond then error("FAIL " .. what) end
    mt.echo("ok   " .. what)
end

local function must(err, what)
    if err ~= nil then error("FAIL " .. what .. ": " .. tostring(err)) end
end

local function open()
    local conn = mt.connect(sock, 40, 0.25)
    if conn == nil then error("FAIL connect to " .. sock) end
    must(mt.negotiate(conn, nil, nil, nil), "negotiate")
    must(mt.conninfo(conn, "client.example", "198.51.100.7"), "conninfo")
    must(mt.helo(conn, "client.example"), "helo")
    return conn
end

local phishing_body = "Szanowni Panstwo,\r\n\r\nNarodowy Fundusz Zdrowia informuje, ze przysluguje " ..
    "Panstwu zwrot 312 zl za leczenie.\r\nProsimy o potwierdzenie danych karty platniczej w " ..
    "ciagu 24 godzin:\r\nhttps://nfz-zwrot.pl/potwierdz\r\n"

local function phishing_headers(conn)
    must(mt.header(conn, "From", "Narodowy Fundusz Zdrowia <zwroty@tehrad.io>"), "header From")
    must(mt.header(conn, "Reply-To", "nfz.zwroty@gmail.com"), "header Reply-To")
    must(mt.header(conn, "To", "pacjent@przychodnia-sloneczna.pl"), "header To")
    must(mt.header(conn, "Subject", "Zwrot kosztow leczenia - potwierdz dane"), "header Subject")
    must(mt.header(conn, "X-HealthGuard-Verdict", "official"), "forged header")
end

-- 1. The body in 7-byte chunks: the message is reassembled whole and judged phishing.
local conn = open()
must(mt.mailfrom(conn, "<bounce@tehrad.io>"), "mailfrom")
must(mt.rcptto(conn, "<pacjent@przychodnia-sloneczna.pl>"), "rcptto")
phishing_headers(conn)
must(mt.eoh(conn), "eoh")
for i = 1, #phishing_body, 7 do
    must(mt.bodystring(conn, string.sub(phishing_body, i, i + 6)), "body chunk")
end
must(mt.eom(conn), "eom")
expect(mt.getreply(conn) == SMFIR_CONTINUE, "chunked body: continue (tag)")
expect(mt.eom_check(conn, MT_HDRADD, "X-HealthGuard-Verdict", "phishing"), "chunked body: verdict phishing")
expect(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[PHISHING] Zwrot kosztow leczenia - potwierdz dane"),
    "chunked body: subject tagged")
expect(mt.eom_check(conn, MT_HDRDELETE, "X-HealthGuard-Verdict"), "chunked body: forged header deleted")

-- 2. An aborted transaction leaves nothing behind: the next message on the same connection
--    is judged on its own headers only.
must(mt.mailfrom(conn, "<bounce@tehrad.io>"), "mailfrom")
must(mt.rcptto(conn, "<pacjent@przychodnia-sloneczna.pl>"), "rcptto")
phishing_headers(conn)
must(mt.abort(conn), "abort")
must(mt.mailfrom(conn, "<jan@example.com>"), "mailfrom after abort")
must(mt.rcptto(conn, "<pacjent@przychodnia-sloneczna.pl>"), "rcptto after abort")
must(mt.header(conn, "From", "Jan Kowalski <jan@example.com>"), "header")
must(mt.header(conn, "Subject", "Obiad w sobote"), "header")
must(mt.eoh(conn), "eoh")
must(mt.bodystring(conn, "Czesc, do zobaczenia w sobote o 13.\r\nJan\r\n"), "body")
must(mt.eom(conn), "eom")
expect(mt.getreply(conn) == SMFIR_CONTINUE, "after abort: continue")
expect(not mt.eom_check(conn, MT_HDRADD, "X-HealthGuard-Verdict", "phishing"), "after abort: not phishing")
expect(mt.eom_check(conn, MT_HDRADD, "X-HealthGuard-Verdict", "unverified"), "after abort: unverified")
expect(not mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "after abort: subject untouched")
mt.disconnect(conn)

-- 3. Many recipients, one of them in a domain that rejects phishing: the whole message is
--    refused with 550 5.7.1 and the reason.
conn = open()
must(mt.mailfrom(conn, "<bounce@tehrad.io>"), "mailfrom")
for i = 1, 500 do
    must(mt.rcptto(conn, "<user" .. i .. "@przychodnia-sloneczna.pl>"), "rcptto " .. i)
end
must(mt.rcptto(conn, "<someone@reject.example>"), "rcptto reject.example")
phishing_headers(conn)
must(mt.eoh(conn), "eoh")
must(mt.bodystring(conn, phishing_body), "body")
must(mt.eom(conn), "eom")
expect(mt.getreply(conn) == SMFIR_REPLYCODE, "501 recipients: a reply code")
expect(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
    "Message refused by HealthGuard: phishing, it impersonates pl.nfz"), "501 recipients: 550 5.7.1 with the reason")
mt.disconnect(conn)

-- 4. A body larger than max_message_bytes: fail-open, delivered unchecked (no header added),
--    and the forged header still removed.
conn = open()
must(mt.mailfrom(conn, "<bounce@tehrad.io>"), "mailfrom")
must(mt.rcptto(conn, "<pacjent@przychodnia-sloneczna.pl>"), "rcptto")
phishing_headers(conn)
must(mt.eoh(conn), "eoh")
must(mt.bodystring(conn, phishing_body), "body")
must(mt.bodyrandom(conn, 3 * 1024 * 1024), "3 MiB of random body")
must(mt.eom(conn), "eom")
expect(mt.getreply(conn) == SMFIR_CONTINUE, "huge body: continue (fail-open)")
expect(not mt.eom_check(conn, MT_HDRADD), "huge body: no header added")
expect(mt.eom_check(conn, MT_HDRDELETE, "X-HealthGuard-Verdict"), "huge body: forged header deleted")

-- 5. A client that vanishes mid-body does not harm the milter: a new connection is served.
must(mt.mailfrom(conn, "<bounce@tehrad.io>"), "mailfrom")
must(mt.rcptto(conn, "<pacjent@przychodnia-sloneczna.pl>"), "rcptto")
phishing_headers(conn)
must(mt.eoh(conn), "eoh")
must(mt.bodystring(conn, "half a body"), "body")
mt.disconnect(conn, false)
conn = open()
must(mt.mailfrom(conn, "<bounce@tehrad.io>"), "mailfrom")
must(mt.rcptto(conn, "<pacjent@przychodnia-sloneczna.pl>"), "rcptto")
phishing_headers(conn)
must(mt.eoh(conn), "eoh")
must(mt.bodystring(conn, phishing_body), "body")
must(mt.eom(conn), "eom")
expect(mt.eom_check(conn, MT_HDRADD, "X-HealthGuard-Verdict", "phishing"), "after an abrupt disconnect: served")
mt.disconnect(conn)
mt.echo("miltertest: done")
