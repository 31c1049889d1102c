# Sourced by scripts/postfix-test.sh and bench/milter.sh: helpers for a PRIVATE Postfix
# instance (own config, queue and data directories under one directory, SMTP on a loopback
# port, nothing of the system's Postfix used or started). Needs root (Postfix drops to the
# postfix user itself).

# A free loopback TCP port.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# Waits up to 10 s until something listens on 127.0.0.1:PORT.
wait_port() { # wait_port PORT
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# Writes DIR/etc/main.cf and DIR/etc/master.cf: SMTP on 127.0.0.1:SMTP_PORT, logs in
# DIR/postfix.log, `smtpd_milters = MILTERS` (may be empty) with milter_default_action =
# accept, no delivery anywhere (add the caller's own with `postconf -c DIR/etc -e`).
postfix_instance() { # postfix_instance DIR SMTP_PORT MILTERS
    local dir=$1 port=$2 milters=$3
    mkdir -p "$dir/etc" "$dir/spool" "$dir/data"
    chown postfix "$dir/data"
    cat >"$dir/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $dir
maillog_file = $dir/postfix.log
myhostname = mx.przychodnia-sloneczna.pl
mydomain = przychodnia-sloneczna.pl
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
relayhost =
default_transport = error:no mail leaves this instance
smtpd_milters = $milters
non_smtpd_milters =
milter_protocol = 6
milter_default_action = accept
milter_connect_timeout = 5s
EOF
    cat >"$dir/etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
}
