-- wrk script: POST /v1/check with the README's SMS (the same body every time).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"kind":"sms","sender":"NFZ","text":"NFZ: masz zwrot 312 zł, potwierdź dane: nfz-zwrot-pl.com"}'
