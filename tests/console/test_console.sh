#!/usr/bin/env bash
# Console test: the real didtron in tmux against a real didtrond with the
# demo network. Each check prints "ok N - what" or "not ok N - what".
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} (scripts/dev test sets them),
# DIDTRON_BIN and DIDTRON_CONSOLE_BIN (meson passes them).
set -uo pipefail

if [[ -z ${DIDTRON_TEST_PGHOST:-} ]]; then
    echo "no test database: run scripts/dev test" >&2
    [[ ${DIDTRON_TEST_REQUIRE_DB:-} == 1 ]] && exit 1
    exit 77
fi
command -v tmux >/dev/null || { echo "tmux is missing" >&2; exit 1; }

work="$(mktemp -d /tmp/didtron-console.XXXXXX)"
db="didtron_console_$$"
sock="$work/tmux.sock"
conninfo="host=$DIDTRON_TEST_PGHOST port=${DIDTRON_TEST_PGPORT:?} user=${DIDTRON_TEST_PGUSER:?} dbname=$db"
psql=(psql -X -q -h "$DIDTRON_TEST_PGHOST" -p "$DIDTRON_TEST_PGPORT" -U "$DIDTRON_TEST_PGUSER" -d postgres)
# A free port: one where nothing answers.
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
port="$(free_port)" || { echo "no free port" >&2; exit 1; }
server_pid=""
n=0
failed=0

cleanup() {
    tmux -S "$sock" kill-server 2>/dev/null
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    "${psql[@]}" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

check() { # check "what" command...
    local what="$1"
    shift
    n=$((n + 1))
    if "$@"; then
        echo "ok $n - $what"
    else
        echo "not ok $n - $what"
        failed=$((failed + 1))
        echo "---- screen ----"
        tmux -S "$sock" capture-pane -p -t console 2>/dev/null
        echo "----------------"
    fi
}

screen() { tmux -S "$sock" capture-pane -p -t console; }

# keys K...: type like a person, one key at a time, so an escape sequence
# (Home, M-1) never runs into the next key.
keys() {
    local k
    for k in "$@"; do
        tmux -S "$sock" send-keys -t console "$k"
        sleep 0.05
    done
}

# wait_for TEXT [seconds]: true once the screen shows TEXT.
wait_for() {
    local deadline=$((SECONDS + ${2:-15}))
    while ((SECONDS < deadline)); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.2
    done
    return 1
}

# retry CMD...: true once CMD succeeds (within 10 s).
retry() {
    local deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)); do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

wait_gone() {
    local deadline=$((SECONDS + ${2:-15}))
    while ((SECONDS < deadline)); do
        screen | grep -qF -- "$1" || return 0
        sleep 0.2
    done
    return 1
}

start_server() {
    "$DIDTRON_BIN" serve --demo --database "$conninfo" --listen "127.0.0.1:$port" --password-cost 12 \
        >>"$work/didtrond.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 150); do
        curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$work/didtrond.log" >&2
    return 1
}

"${psql[@]}" -c "CREATE DATABASE $db" >/dev/null || exit 1
start_server || exit 1

# Staff land on the NOC dashboard; the sections below start from the
# carriers list (the NOC section opens consoles of its own without this).
export DIDTRON_START=carriers

# The console runs in a tmux pane; its exit code lands in a file.
tmux -S "$sock" new-session -d -s console -x 120 -y 30 \
    "env DIDTRON_PASSWORD=admin XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config TERM=xterm-256color \
     LANG=C.UTF-8 '$DIDTRON_CONSOLE_BIN' --url ws://127.0.0.1:$port/ws --user admin; echo \$? > $work/exit-code; sleep 30"

check "logs in and lists the demo carriers" wait_for "Acme Telecom"
check "the header shows the connection and the user" wait_for "connected"
check "the footer counts rows against the server's total" wait_for "16 of 16"
check "the token is cached with mode 0600" test "$(stat -c %a "$work/state/didtron/token" 2>/dev/null)" = 600

keys / g l o b e x Enter
check "/ filters the table through the server" wait_for "1 of 1"
check "the filtered row is the match" bash -c "tmux -S '$sock' capture-pane -p -t console | grep -q 'Globex Voice'"
check "rows that do not match are gone" wait_gone "Acme Telecom" 3

keys / C-u BSpace BSpace BSpace BSpace BSpace BSpace Enter
check "clearing the filter brings every carrier back" wait_for "16 of 16"
keys / t y p e : s u p p l i e r Enter
check "/type:supplier filters by type" wait_for "6 of 6"
keys /
for _ in $(seq 1 14); do keys BSpace; done
keys t y p e : b i l a t e r a l Space p c c w Enter
check "a key:value filter and a search combine" wait_for "1 of 1"
keys /
for _ in $(seq 1 24); do keys BSpace; done
keys Enter
wait_for "16 of 16" >/dev/null

keys Home Down Enter
check "Enter opens the carrier in a workspace tab" wait_for "Carrier Management / BT Wholesale"
check "its details show the credit control figures" wait_for "Customer balance"
keys Right
check "Right moves to the Interconnects tab" wait_for "BT-WHOLESALE-OUT-1"
keys Enter
check "Enter opens the interconnect with its egress tabs" wait_for "Egress Translations"
keys Left
check "its Monitoring tab shows the SIP OPTIONS settings" wait_for "SIP OPTIONS ping"
keys C-w
keys Right Right
check "the Accounting tab shows the account number" wait_for "S-1008"
keys M-1
check "M-1 goes back to the list, the tab stays" wait_for "2 BT Wholesale"
keys M-2 C-w
check "C-w closes the carrier tab" wait_gone "2 BT Wholesale" 5

# Edit the credit limit: a negative value shows the server's field error
# next to the field; a good one saves, shows, and leaves an audit row.
keys / a c m e Enter
wait_for "1 of 1" >/dev/null
keys Enter
check "a filtered carrier opens" wait_for "Carrier Management / Acme Telecom"
keys Tab e
check "Tab then e opens the credit settings form" wait_for "[F2 Save]"
keys Tab
for _ in $(seq 1 14); do keys BSpace; done
keys - 5 F2
check "a negative credit limit shows the field error" wait_for "must be >= 0"
for _ in $(seq 1 4); do keys BSpace; done
keys 2 5 0 . 2 5 F2
check "a good value saves" wait_for "250.250000"
check "the form closes after saving" wait_gone "Esc Cancel" 5
audit_row() {
    [[ "$("${psql[@]}" -d "$db" -tAc "SELECT after->'credit'->'customer'->>'credit_limit' FROM audit_log
        WHERE entity = 'carrier' AND action = 'credit.update' ORDER BY id DESC LIMIT 1")" == 250.250000 ]]
}
check "the change is in the audit trail" audit_row
keys Tab e
check "the Carrier Details part has its own form" wait_for "Currencies (1-3)"
keys PgDn
check "its ADVANCED tab holds the account manager" wait_for "Capacity, blank=any"
for _ in $(seq 1 12); do keys BSpace; done
keys N O C Space d e s k F2
saved_and_closed() { ! screen | grep -q "Esc Cancel" && screen | grep -q "NOC desk"; }
check "its change shows after saving" retry saved_and_closed

# Two editors: another client saves first; this form shows their value and
# then saves over it with the new version.
keys Right Right Right
wait_for "Accounting Details" >/dev/null
keys e
wait_for "[F2 Save]" >/dev/null
admin_token="$(curl -fsS -X POST "http://127.0.0.1:$port/rpc" -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"auth.login","params":{"username":"admin","password":"admin"}}' |
    sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')"
version="$("${psql[@]}" -d "$db" -tAc "SELECT version FROM carriers WHERE id = 1")"
curl -fsS -X POST "http://127.0.0.1:$port/rpc" -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"carrier.accounting.update\",\"params\":{\"carrier_id\":1,\"version\":$version,\"tax_code\":\"THEIRS-1\"}}" >/dev/null
keys Down Down
for _ in $(seq 1 8); do keys BSpace; done
keys M I N E - 2 F2
check "a stale save says someone else saved" wait_for "someone else saved"
check "and shows their value beside mine" wait_for "[THEIRS-1]"
keys F2
check "F2 then saves mine over theirs" wait_for "MINE-2"

keys Left
wait_for "Email" >/dev/null
keys n
check "n on the Contacts tab opens a new contact form" wait_for "New contact"
keys N i g h t Space N O C Down Down x F2
check "a bad e-mail shows the server's field error" wait_for "must be an e-mail address"
keys BSpace n o c @ a c m e . e x a m p l e F2
check "the new contact appears in the tab" wait_for "Night NOC"

# The Add Service dialog on an ingress interconnect's Services tab.
keys Left
wait_for "ACME-TELECOM-IN-1" >/dev/null
keys Enter
check "the ingress interconnect shows its tabs" wait_for "Ingress Validation"
keys Left
check "its Services tab lists the demo service" wait_for "Wholesale voice"
keys n
check "n opens Add Service" wait_for "Add Service"
keys P r e m i u m Down 9 9 9 '#' PgDn
check "the form's tabs: PgDn shows ADVANCED" wait_for "Enforcement"
keys PgDn
check "and then ASSIGNMENT with the plans" wait_for "Rating plan id"
keys 1 Down 1 F2
check "the new service appears" wait_for "Premium"
keys n P r e m i u m 2 Down 9 9 9 '#' PgDn PgDn 1 Down 1 F2
check "a taken tech prefix is refused with the reason" wait_for "already has a service with tech prefix"
keys Escape C-w
keys C-w / BSpace BSpace BSpace BSpace Enter
wait_for "16 of 16" >/dev/null

keys : s e r v i c e s Enter
check ":services lists services across carriers" wait_for "Carriers / Services"
check "the demo's ten and the one added" wait_for "11 of 11"
keys : a u d i t Enter
check ":audit shows the audit log, newest first" wait_for "credit.update"
keys Enter
check "Enter shows the entry's before and after" wait_for "Premium"
check "a created record has no before" wait_for "(none)"
keys C-w C-w C-w M-1

# Delete: a dangerous action asks first; "n" keeps, "y" deletes.
keys / t a t a Enter
wait_for "1 of 1" >/dev/null
keys d
check "d asks before deleting a carrier" wait_for "Delete carrier Tata Communications"
keys n
kept() { wait_gone "[y] Yes" 3 && screen | grep -q "1 of 1"; }
check "n closes the question and keeps the carrier" kept
keys d y
check "y deletes it (and the list follows)" wait_for "0 of 0"
keys / BSpace BSpace BSpace BSpace Enter
check "fifteen carriers are left" wait_for "15 of 15"

# A new carrier from the list: n, a field error, then saved.
keys n
check "n opens the new carrier form" wait_for "New carrier"
keys Z u l u Space T e l e c o m Down Down M a r s / X Down U S D F2
check "an unknown time zone is refused beside the field" wait_for "must be a time zone"
# A refused save puts the cursor on the first field in error.
for _ in $(seq 1 6); do keys BSpace; done
keys U T C F2
check "the new carrier joins the list" wait_for "16 of 16"
check "under its name" wait_for "Zulu Telecom"

tmux -S "$sock" resize-window -t console -x 80 -y 24
check "80x24 still draws the frame" wait_for "DIDTron"
tmux -S "$sock" resize-window -t console -x 70 -y 20
check "below 80x24 it says the terminal is too small" wait_for "terminal too small"
tmux -S "$sock" resize-window -t console -x 120 -y 30
check "back to 120x30 the table returns" wait_for "Acme Telecom"

kill "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=""
check "a lost server shows reconnecting" wait_for "reconnecting"
start_server
check "the console reconnects by itself" wait_for "connected" 20
check "and still lists the carriers" wait_for "16 of 16" 20

keys : t r Tab
check "Tab completes a command" wait_for ":trunk-groups_"
keys Enter
check "and runs it" wait_for "Carriers / Trunk Groups"
keys C-w

# The menu rail takes the keyboard: S-Tab (or F6) focuses it, Up/Down
# move, Enter opens the list, Esc gives the focus back.
keys BTab
check "S-Tab from a list focuses the menu" wait_for "[Up/Down Move]"
keys Down Down Enter
check "Down Down Enter opens Trunk groups from the menu" wait_for "Carriers / Trunk Groups"
keys C-w F6
wait_for "[Up/Down Move]" >/dev/null
keys Escape
check "Esc gives the focus back to the list" wait_gone "[Up/Down Move]" 5

# The rest of a carrier's records from the console: a new interconnect
# (a tabbed form; a bad IP is caught before sending), its Media settings
# (the server's range error lands beside ptime), a contact edited and
# then deleted after asking.
keys / z u l u Enter
wait_for "1 of 1" >/dev/null
keys Enter
check "the new carrier opens" wait_for "Carrier Management / Zulu Telecom"
keys Right
wait_for "no interconnects" >/dev/null
keys n
check "n on Interconnects opens the new interconnect form" wait_for "New interconnect"
check "its currency starts as the carrier's" wait_for "USD"
keys Z U L U - I N Down Right
check "Right picks the next choice" wait_for "< egress >"
keys Left Down Down Down 1 0 . 0 . 0 . 3 0 0 F2
check "a bad IP is caught before sending" wait_for "10.0.0.300 is not an IP address"
keys BSpace BSpace BSpace 9 F2
check "the new interconnect joins the carrier" wait_for "ZULU-IN"
keys Enter
check "it opens on its ingress tabs" wait_for "Ingress Validation"
keys Right Right Right
wait_for "DTMF detection" >/dev/null
keys e
check "e edits the tab's settings" wait_for "ZULU-IN · Media"
keys Down Down 5 0 0 F2
check "an out-of-range ptime is refused beside the field" wait_for "must be <= 120"
keys BSpace BSpace BSpace 3 0 F2
ptime_saved() {
    [[ "$("${psql[@]}" -d "$db" -tAc "SELECT media->>'ptime' FROM interconnects WHERE name = 'ZULU-IN'")" == 30 ]]
}
check "a good ptime is saved into the media settings" retry ptime_saved
keys C-w Right
wait_for "no contacts" >/dev/null
keys n O p s Down Down o p s @ z u l u . e x a m p l e F2
check "a contact is added" wait_for "ops@zulu.example"
keys e
check "e edits the selected contact" wait_for "Edit contact"
keys Space D e s k F2
check "the edit shows in the tab" wait_for "Ops Desk"
keys d
check "d asks before deleting the contact" wait_for "Delete contact Ops Desk?"
keys y
check "y deletes it" wait_for "no contacts"
keys C-w

# Users (admin): n creates one (the password is masked), e edits it.
keys : u s e r s Enter
check ":users lists the users" wait_for "Settings / Users"
keys n
check "n opens the new user form" wait_for "New user"
keys n i g h t - o p Down s e c r e t - p w
check "the password is masked" wait_for "*********_"
keys F2
check "the new user joins the list" wait_for "night-op"
keys / n i g h t Enter
wait_for "1 of 1" >/dev/null
keys e
check "e opens the user's form" wait_for "Edit user"
keys Down Down Down Right F2
disabled_saved() {
    [[ "$("${psql[@]}" -d "$db" -tAc "SELECT disabled FROM users WHERE username = 'night-op'")" == t ]]
}
check "disabling the user is saved" retry disabled_saved
live_disabled() { screen | grep "night-op" | grep -q " yes"; }
check "and the list shows it live" retry live_disabled
keys C-w

# The catalog lists (categories, groups, blacklists, release causes) are
# the same list: n creates, d asks and deletes.
keys : c a t e g o r i e s Enter
check ":categories lists the categories" wait_for "Carriers / Categories"
keys n P r e m i u m Space r o u t e s F2
check "a new category joins the list" wait_for "Premium routes"
keys / p r e m i u m Enter
wait_for "1 of 1" >/dev/null
keys d
check "d asks before deleting it" wait_for "Delete from Categories: Premium routes?"
keys y
check "y deletes it" wait_for "0 of 0"
keys C-w

# Money: t on a carrier posts (one idempotency key per dialog), the
# carrier's credit figures follow, and Balance & spend lists them.
keys /
for _ in $(seq 1 12); do keys BSpace; done
keys a c m e Enter
wait_for "1 of 1" >/dev/null
keys Enter
wait_for "Customer balance" >/dev/null
keys t
check "t opens the posting dialog" wait_for "Post money"
check "in the carrier's currency" wait_for "GBP"
keys Down Down 2 5 F2
check "the top-up is posted" wait_for "posted journal"
acme_detail_balance() { screen | grep "Customer balance" | grep -q "25.000000"; }
check "the carrier's balance follows" retry acme_detail_balance
keys C-w
keys : b a l a n c e s Enter
check ":balances lists the carriers' figures" wait_for "Carriers / Balance & Spend"
acme_balance() { screen | grep "Acme Telecom" | grep -q "25.000000"; }
check "with Acme's new balance" retry acme_balance
keys C-w

# Rating: a new plan, a deck imported from a file with its summary and a
# bad line named, the deck searched by prefix, a quote, then a CDR sent
# over HTTP found in the CDR search and opened with both sides.
text() { tmux -S "$sock" send-keys -t console -l "$1"; sleep 0.1; }
keys : r a t i n g - p l a n s Enter
check ":rating-plans lists the plans" wait_for "Rating / Rating Plans"
keys n
check "n opens the new plan form" wait_for "New rating plan"
keys T e s t Space D e c k Down U S D F2
plan_listed() { ! screen | grep -q "New rating plan" && screen | grep -q "Test Deck"; }
check "the new plan joins the list" retry plan_listed
keys / t e s t Space d e c k Enter
wait_for "1 of 1" >/dev/null
keys Enter
check "Enter opens its deck" wait_for "Rating plan Test Deck"
printf 'prefix,destination,rate,initial_increment,subsequent_increment\n44,United Kingdom,0.010000,30,6\n447,UK Mobile,0.030000,30,6\n4477,UK Mobile Vodafone,0.040000,30,6\nxx,Broken,1\n' \
    > "$work/deck.csv"
keys i
check "i opens the import dialog" wait_for "Import rates"
text "$work/deck.csv"
keys F2
check "the import summary counts the new rates" wait_for "imported 3: new 3"
check "and names the bad line" wait_for "line 5"
check "the deck lists the rates" wait_for "UK Mobile Vodafone"

# A deck too big for one request: the dialog says how to send it over
# HTTP, and the HTTP import's progress and end show in the deck.
{ echo "prefix,destination,rate"; for i in $(seq 100000 103999); do echo "49$i,Germany $i,0.00$((i % 90 + 10))"; done; } \
    > "$work/big.csv"
keys / BSpace BSpace BSpace Enter
keys i
wait_for "Import rates" >/dev/null
text "$work/big.csv"
keys F2
check "a big deck is sent over HTTP, and the dialog says how" wait_for "send it over HTTP"
keys Escape
plan_id="$("${psql[@]}" -d "$db" -tAc "SELECT id FROM rating_plans WHERE name = 'Test Deck'")"
curl -fsS -X POST "http://127.0.0.1:$port/api/v1/rating-plans/$plan_id/rates?mode=merge" -H "Expect:" \
    -H "Authorization: Bearer $admin_token" -H 'Content-Type: text/csv' --data-binary @"$work/big.csv" > "$work/big.json"
check "the HTTP import counts 4,000 new rates" grep -q '"new":4000' "$work/big.json"
check "the deck shows the import's end" wait_for "import done: 4000 rows read"
check "and lists the 4,003 rates" wait_for "of 4003"
keys / 4 4 7 Enter
check "digits search prefixes" wait_for "2 of 2"
keys Q
check "Q opens the quote dialog" wait_for "Duration (s)"
keys 4 4 7 7 1 2 3 4 5 6 7 8 Down BSpace BSpace 6 1 F2
# 61 s on 30/6 bills 66 s: 0.040000 x 66 / 60 = 0.044000
check "the quote prices the number by its longest prefix" wait_for "quote: 4477 UK Mobile Vodafone · rate 0.040000/min · billed 66s · cost 0.044000"
keys C-w

ic_id="$("${psql[@]}" -d "$db" -tAc "SELECT id FROM interconnects WHERE name = 'ACME-TELECOM-IN-1'")"
curl -fsS -X POST "http://127.0.0.1:$port/api/v1/cdrs" -H "Authorization: Bearer $admin_token" \
    -H 'Content-Type: application/json' --data-binary "[{\"id\":\"console-cdr-1\",\"ingress_interconnect_id\":$ic_id,
      \"caller\":\"+442070000000\",\"callee\":\"+8613912345678\",\"start_time\":\"2026-11-23T10:00:00Z\",
      \"answer_time\":\"2026-11-23T10:00:02Z\",\"end_time\":\"2026-11-23T10:01:03Z\",
      \"egress_interconnect_id\":null,\"release_cause\":16}]" > "$work/cdr-post.json"
check "a CDR goes in over HTTP" grep -q '"accepted":1' "$work/cdr-post.json"
keys : c d r s Enter
check ":cdrs lists the CDRs" wait_for "console-cdr-1"
keys / c o n s o l e - c d r - 1 Enter
wait_for "1 of 1" >/dev/null
keys Enter
check "Enter opens the CDR" wait_for "Rating / CDRs / console-cdr-1"
check "the call's duration is 61 s" wait_for "Duration (s)  61"
keys PgDn
check "its customer side says why it is unrated (the demo's decks have no China rates)" wait_for "no rate for 8613912345678"
check "and the supplier side" wait_for "— supplier —"
keys C-w C-w

# The ledger on the console. A prepaid carrier with no money is BLOCKED; a
# top-up (over the API) allows its calls, live, and is in its journals (J;
# Enter shows the two entries, debit and credit); R resets its 24-hour
# spend after asking; S shows its statement month by month; an invoice
# made over the API is in :invoices and opens as the server's text.
rpc() { # rpc METHOD PARAMS: one JSON-RPC call over HTTP as admin
    curl -fsS -X POST "http://127.0.0.1:$port/rpc" -H "Authorization: Bearer $admin_token" \
        -H 'Content-Type: application/json' -d "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"$1\",\"params\":$2}"
}
# col_of PATTERN TEXT: the column where TEXT starts on the first screen
# line holding PATTERN (the lines compared share the same frame glyphs).
col_of() {
    local line pre
    line="$(screen | grep -m1 -F -- "$1")" || return 1
    pre="${line%%"$2"*}"
    [[ $pre != "$line" ]] || return 1
    echo "${#pre}"
}
initech="$("${psql[@]}" -d "$db" -tAc "SELECT id FROM carriers WHERE name = 'Initech Calls'")"
keys M-1 /
for _ in $(seq 1 12); do keys BSpace; done
keys i n i t e c h Enter
wait_for "1 of 1" >/dev/null
keys Enter
wait_for "Carrier Management / Initech Calls" >/dev/null
calls_are() { screen | grep -F "Calls " | grep -qF -- "$1"; }
check "a prepaid carrier with no money shows its calls BLOCKED, in words" retry calls_are "BLOCKED: no credit left"
rpc ledger.post "{\"idempotency_key\":\"console-topup-1\",\"kind\":\"topup\",\"carrier_id\":$initech,\"side\":\"customer\",
    \"amount\":\"40\",\"currency\":\"USD\",\"memo\":\"console test\"}" > "$work/topup.json"
topup_id="$(sed 's/.*"result":{"id":\([0-9]*\),.*/\1/' "$work/topup.json")"
check "a top-up is posted over the API" grep -q '"duplicate":false' "$work/topup.json"
check "its calls are then allowed, without a key press" retry calls_are "allowed"
keys J
check "J opens the carrier's journals" wait_for "Billing / Journals / Initech Calls"
journal_row() { screen | grep -E "[ ▌]$1 [0-9]{4}-" | grep -F " $2 " | grep -qF " $3 "; } # ID KIND AMOUNT
check "the journal list shows the top-up with its amount" retry journal_row "$topup_id" topup 40.000000
rpc ledger.post "{\"idempotency_key\":\"console-charge-1\",\"kind\":\"charge\",\"carrier_id\":$initech,\"side\":\"customer\",
    \"amount\":\"5.5\",\"currency\":\"USD\"}" > "$work/charge.json"
charge_id="$(sed 's/.*"result":{"id":\([0-9]*\),.*/\1/' "$work/charge.json")"
check "a posting joins the open journal list live" retry journal_row "$charge_id" charge 5.500000
keys / k i n d : t o p u p Enter
check "/kind:topup filters the journals" wait_for "1 of 1"
keys Enter
check "Enter opens the journal" wait_for "Billing / Journals / $topup_id"
check "with its two entries" wait_for "2 entries"
entries_right() {
    local credit cash carrier
    credit="$(col_of "Debit" "Credit")" && cash="$(col_of "cash:manual:USD" "40.000000")" &&
        carrier="$(col_of "carrier_customer:$initech:USD" "40.000000")" || return 1
    ((cash < credit && carrier >= credit))
}
check "cash is debited 40.000000 and the carrier's account credited 40.000000" retry entries_right
keys C-w C-w
wait_for "Carrier Management / Initech Calls" >/dev/null
spend_is() { screen | grep -F "24 h spend (cust)" | grep -qE " $1\$| $1 "; }
check "the charge is in the 24 h spend" retry spend_is 5.500000
keys R
check "R asks before resetting the 24-hour spend" wait_for "Reset the customer's 24-hour spend? The money stays spent."
keys y
check "y resets it: the 24 h spend shows 0.000000" retry spend_is 0.000000
money_stays() { screen | grep -F "Customer balance" | grep -qF 34.500000; }
check "and the money stays spent" money_stays
keys S
check "S opens the carrier's statement for this month" wait_for "Statement · Initech Calls · customer side"
check "it shows the opening balance" wait_for "Opening balance"
closing_is() { screen | grep -F "Closing balance" | grep -qE " $1( |\$)"; }
check "and the closing balance after this month's postings" retry closing_is 34.50
this_month="$(TZ=America/Chicago date +%Y-%m-01)"
prev_month="$(date -d "$this_month -1 month" +"%B %Y")"
keys Left
prev_shown() { screen | grep -qF "customer side · $prev_month" && closing_is 0.00; }
check "Left moves to the previous month ($prev_month), where nothing was posted" retry prev_shown
keys Right
check "Right comes back to this month so far" wait_for "(so far)"
keys C-w M-1 / BSpace BSpace BSpace BSpace BSpace BSpace BSpace s p a r k l e Enter
wait_for "1 of 1" >/dev/null
keys Enter
wait_for "Carrier Management / Sparkle Bilateral" >/dev/null
keys R
check "R on a bilateral carrier asks which side first" wait_for "Reset 24-hour spend: which side?"
keys Right F2
check "then confirms for that side" wait_for "Reset the supplier's 24-hour spend?"
keys n S
check "S on a bilateral carrier opens its customer side" wait_for "Statement · Sparkle Bilateral · customer side"
keys s
check "s switches the statement to the supplier side" wait_for "Statement · Sparkle Bilateral · supplier side"
keys C-w C-w
rpc invoice.create "{\"carrier_id\":$initech,\"period_start\":\"$(date -d "$this_month -1 month" +%Y-%m-%d)\",
    \"period_end\":\"$this_month\",\"idempotency_key\":\"console-invoice-1\"}" > "$work/invoice.json"
number="$(sed -n 's/.*"number":"\([^"]*\)".*/\1/p' "$work/invoice.json")"
check "an invoice is made over the API" test -n "$number"
keys : i n v o i c e s Enter
check ":invoices lists it" wait_for "$number"
keys Enter
check "Enter shows the invoice as the server's text" wait_for "INVOICE"
keys C-w C-w

# Routing (issue 7): a routing plan made with the console's form, an entry
# added in its view, the test-route panel (T) over a network set up over
# RPC (a postpaid customer whose service uses the plan; supplier A cheaper
# than the customer's rate, supplier B dearer: rejected), and pause /
# resume from an interconnect row and from the interconnect detail.
sqlv() { "${psql[@]}" -d "$db" -tAc "$1"; }
keys : r o u t i n g - p l a n s Enter
check ":routing-plans lists the routing plans" wait_for "Rating / Routing Plans"
keys n
check "n opens the new routing plan form" wait_for "New routing plan"
text "Console LCR"
keys F2
routing_listed() { ! screen | grep -q "New routing plan" && screen | grep "Console LCR" | grep -q " lcr "; }
check "the new routing plan joins the list with its mode" retry routing_listed
routing_id="$(sqlv "SELECT id FROM routing_plans WHERE name = 'Console LCR'")"
check "it is in the database" test -n "$routing_id"
for plan in "R7 Retail:customer:0.010" "R7 Sup A:supplier:0.006" "R7 Sup B:supplier:0.013"; do
    IFS=: read -r pname pdir prate <<<"$plan"
    rpc rating_plan.create "{\"name\":\"$pname\",\"currency\":\"USD\",\"direction\":\"$pdir\",\"rounding\":\"half_up\"}" >/dev/null
    pid="$(sqlv "SELECT id FROM rating_plans WHERE name = '$pname'")"
    rpc rating_plan.import "{\"rating_plan_id\":$pid,\"mode\":\"replace\",\"effective_from\":\"2026-01-01T00:00:00Z\",
        \"csv\":\"prefix,destination,rate\\n44,United Kingdom,$prate\\n\"}" >>"$work/r7.json"
done
retail_id="$(sqlv "SELECT id FROM rating_plans WHERE name = 'R7 Retail'")"
for c in "R7 Customer:customer" "R7 Supplier A:supplier" "R7 Supplier B:supplier" "R7 Prepaid:customer"; do
    rpc carrier.create "{\"name\":\"${c%%:*}\",\"type\":\"${c##*:}\",\"timezone\":\"UTC\",\"currencies\":[\"USD\"]}" >>"$work/r7.json"
done
cust7="$(sqlv "SELECT id FROM carriers WHERE name = 'R7 Customer'")"
rpc carrier.credit.update "{\"id\":$cust7,\"version\":$(sqlv "SELECT version FROM carriers WHERE id = $cust7"),
    \"customer\":{\"credit_type\":\"postpaid\",\"credit_limit\":\"1000\"}}" >>"$work/r7.json"
rpc interconnect.create "{\"carrier_id\":$cust7,\"name\":\"R7-IN\",\"direction\":\"ingress\",\"currency\":\"USD\",
    \"signalling_ips\":[\"192.0.2.77\"]}" >>"$work/r7.json"
for x in A B; do
    [[ $x == A ]] && ip=192.0.2.201 || ip=192.0.2.202
    rpc interconnect.create "{\"carrier_id\":$(sqlv "SELECT id FROM carriers WHERE name = 'R7 Supplier $x'"),
        \"name\":\"R7-OUT-$x\",\"direction\":\"egress\",\"currency\":\"USD\",\"signalling_ips\":[\"$ip\"],
        \"supplier_rating_plan_id\":$(sqlv "SELECT id FROM rating_plans WHERE name = 'R7 Sup $x'")}" >>"$work/r7.json"
done
ic_in="$(sqlv "SELECT id FROM interconnects WHERE name = 'R7-IN'")"
ic_a="$(sqlv "SELECT id FROM interconnects WHERE name = 'R7-OUT-A'")"
ic_b="$(sqlv "SELECT id FROM interconnects WHERE name = 'R7-OUT-B'")"
rpc service.create "{\"interconnect_id\":$ic_in,\"name\":\"R7 Voice\",\"rating_plan_id\":$retail_id,
    \"routing_plan_id\":$routing_id}" >>"$work/r7.json"
svc7="$(sqlv "SELECT id FROM services WHERE name = 'R7 Voice'")"
# A prepaid customer without money: its lookups are refused (-32010).
rpc interconnect.create "{\"carrier_id\":$(sqlv "SELECT id FROM carriers WHERE name = 'R7 Prepaid'"),\"name\":\"R7-PRE-IN\",
    \"direction\":\"ingress\",\"currency\":\"USD\",\"signalling_ips\":[\"192.0.2.78\"]}" >>"$work/r7.json"
rpc service.create "{\"interconnect_id\":$(sqlv "SELECT id FROM interconnects WHERE name = 'R7-PRE-IN'"),
    \"name\":\"R7 Prepaid Voice\",\"rating_plan_id\":$retail_id,\"routing_plan_id\":$routing_id}" >>"$work/r7.json"
svc_pre="$(sqlv "SELECT id FROM services WHERE name = 'R7 Prepaid Voice'")"
check "the routing network is set up over RPC" test -n "$ic_a" -a -n "$ic_b" -a -n "$svc7"
keys / c o n s o l e Space l c r Enter
wait_for "1 of 1" >/dev/null
keys Enter
check "Enter opens the routing plan's view" wait_for "Routing plan Console LCR (id $routing_id) · mode lcr"
check "a plan without entries says so" wait_for "no entries: n adds one"
keys n
check "n opens the new entry form" wait_for "New routing entry"
text "44"
keys Down
text "$ic_a,$ic_b:5"
keys F2
entry_listed() { screen | grep -E "(^|[ ▌│])44 " | grep -qF "$ic_a:0:1, $ic_b:5:1"; }
check "the entry lists its routes (interconnect:priority:weight)" retry entry_listed
check "the selected entry's suppliers show their rate for the prefix" wait_for "Suppliers of 44: rate and margin now"
check "with the margin against the customer plan" \
    bash -c "tmux -S '$sock' capture-pane -p -t console | grep -F 'R7-OUT-A' | grep -qF '0.006000 USD  margin 0.004000'"
check "a supplier dearer than the customer rate is marked LOSS" \
    bash -c "tmux -S '$sock' capture-pane -p -t console | grep -F 'R7-OUT-B' | grep -qF 'margin -0.003000 LOSS'"
keys T
check "T opens the test-route prompt" wait_for "Test route"
text "$svc7"
keys Down
text "442071234567"
keys F2
check "the test shows the customer's rate and the entry matched" wait_for "customer rate 0.010000 USD (44 United Kingdom)"
check "the cheaper supplier is route 1 with its rate and margin" \
    wait_for " 1. interconnect $ic_a · carrier $(sqlv "SELECT id FROM carriers WHERE name = 'R7 Supplier A'") · rate 0.006000 USD · margin 0.004000"
check "the dearer one is rejected with its reason and detail" \
    wait_for "REJECTED interconnect $ic_b · carrier $(sqlv "SELECT id FROM carriers WHERE name = 'R7 Supplier B'") · negative_margin — supplier rate"
keys T
check "the prompt remembers the service" bash -c "tmux -S '$sock' capture-pane -p -t console | grep -F 'Service id' | grep -qF ' $svc7'"
keys Up BSpace BSpace BSpace BSpace BSpace BSpace
text "$svc_pre"
keys Down
text "442071234567"
keys F2
check "a blocked customer's lookup is a clear refusal line" wait_for "refused: customer blocked — no credit left"
check "which says how much is available" wait_for "available 0.000000 USD"
keys : c a r r i e r s Enter /
for _ in $(seq 1 16); do keys BSpace; done
keys r 7 Space s u p p l i e r Space a Enter
wait_for "1 of 1" >/dev/null
keys Enter Right
check "the supplier's Interconnects tab lists R7-OUT-A" wait_for "R7-OUT-A"
keys p
check "p on an interconnect row asks the pause's reason" wait_for "Pause R7-OUT-A"
text "maint R7"
keys F2
row_paused() { screen | grep -F "R7-OUT-A" | grep -qF "PAUSED: maint R7"; }
check "the row shows PAUSED and the reason" retry row_paused
check "route.pause.list has the pause" test "$(sqlv "SELECT count(*) FROM route_pauses WHERE interconnect_id = $ic_a AND resumed_at IS NULL")" = 1
keys Enter
check "the interconnect detail's header shows PAUSED and the reason" wait_for "PAUSED: maint R7"
keys P
check "P asks before resuming" wait_for "Resume traffic on R7-OUT-A (paused: maint R7)?"
keys y
check "resume clears the marker" wait_gone "PAUSED: maint R7"
keys C-w
row_clear() { screen | grep -F "R7-OUT-A" | grep -qvF "PAUSED"; }
check "and the row" retry row_clear
keys C-w C-w

# The NOC dashboard (issue 8): CDRs over RPC make R7-OUT-B's ASR bad and
# R7-OUT-A's good; B is paused with a reason. A staff console (80x24, no
# --start) lands on the dashboard: B is first (worst) with the PAUSED
# marker (red comes with the marker, never alone) and the reason, A's
# sparkline is full blocks; the figures move live when more CDRs arrive;
# Enter shows B's routes and Esc comes back; D shows destinations; the
# wall screen is full width and refuses edits.
cdr_json() { # cdr_json ID EGRESS AGO SECONDS(-1: unanswered) CAUSE
    local e s a
    e="$(date -u -d "@$(($(date +%s) - $3))" +%Y-%m-%dT%H:%M:%SZ)"
    a="$(date -u -d "@$(($(date +%s) - $3 - (${4} > 0 ? $4 : 0)))" +%Y-%m-%dT%H:%M:%SZ)"
    s="$(date -u -d "@$(($(date +%s) - $3 - (${4} > 0 ? $4 : 0) - 5))" +%Y-%m-%dT%H:%M:%SZ)"
    local answer=null
    (($4 >= 0)) && answer="\"$a\""
    echo "{\"id\":\"$1\",\"ingress_interconnect_id\":$ic_in,\"caller\":\"+12125550100\",\"callee\":\"442071230$1\",
        \"start_time\":\"$s\",\"answer_time\":$answer,\"end_time\":\"$e\",\"egress_interconnect_id\":$2,
        \"release_cause\":$5,\"pdd_ms\":900}"
}
batch=""
for i in 10 11 12 13 14 15 16 17; do batch+="${batch:+,}$(cdr_json "$i" "$ic_a" 5 60 16)"; done
for i in 20 21 22 23 24 25 26 27 28 29; do batch+="${batch:+,}$(cdr_json "$i" "$ic_b" 5 -1 503)"; done
batch+=",$(cdr_json 30 "$ic_b" 5 30 16)"
noc_ingested() { rpc cdr.ingest "{\"cdrs\":[$batch]}" | grep -q '"accepted":19'; }
check "CDRs for the NOC are ingested" noc_ingested
# The pause comes from a monitoring rule (action pause) when the server has
# rules (it also raises an alert to acknowledge), else from route.pause.
if rpc monitor.rule.create "{\"name\":\"NOC ASR\",\"scope\":\"interconnect\",\"scope_id\":\"$ic_b\",
    \"metric\":\"asr\",\"op\":\"<\",\"threshold\":0.3,\"min_attempts\":5,\"action\":\"pause\"}" | grep -q '"result"'; then
    noc_reason="rule 'NOC ASR'"
else
    noc_reason="ASR low NOC"
    rpc route.pause "{\"interconnect_id\":$ic_b,\"reason\":\"$noc_reason\"}" >>"$work/noc.json"
fi
tmux -S "$sock" new-session -d -s noc -x 80 -y 24 \
    "env DIDTRON_START=noc DIDTRON_PASSWORD=admin XDG_STATE_HOME=$work/state6 LANG=C.UTF-8 TERM=xterm-256color \
     '$DIDTRON_CONSOLE_BIN' --url ws://127.0.0.1:$port/ws --user admin; sleep 30"
nscreen() { tmux -S "$sock" capture-pane -p -t noc; }
nwait() { local d=$((SECONDS + ${2:-15})); while ((SECONDS < d)); do nscreen | grep -qF -- "$1" && return 0; sleep 0.2; done; return 1; }
nkeys() { local k; for k in "$@"; do tmux -S "$sock" send-keys -t noc "$k"; sleep 0.05; done; }
check "staff land on the NOC Dashboard, the first tab" nwait "[ 1 NOC Dashboard ]"
check "the menu has a MONITORING heading" nwait "MONITORING"
b_row() { nscreen | grep -F "R7-OUT-B" | grep -qF "PAUSED"; }
check "the paused, worst supplier's row carries the PAUSED marker (at 80x24)" retry b_row
b_first() { nscreen | grep -m1 -E "R7-OUT-(A|B)" | grep -qF "R7-OUT-B"; }
check "worst first: B above A" b_first
check "the pause reason is on screen" nwait "PAUSED: $noc_reason"
b_figures() { nscreen | grep -F "R7-OUT-B" | grep -qE "9\.1% +11 "; }
check "B's ASR and attempts: 1 of 11 = 9.1%" retry b_figures
a_spark() { nscreen | grep -F "R7-OUT-A" | grep -qE "100\.0% +8 .*█"; }
check "A: ASR 100% of 8, sparkline in blocks" retry a_spark
b_red() { tmux -S "$sock" capture-pane -e -p -t noc | grep -F "R7-OUT-B" | grep -qE $'\e\\[[0-9;]*(31|91|38;5;(1|9|160|196))[;m]'; }
check "and B's row is drawn in the bad colour" retry b_red
batch=""
for i in 40 41 42 43; do batch+="${batch:+,}$(cdr_json "$i" "$ic_a" 2 60 16)"; done
rpc cdr.ingest "{\"cdrs\":[$batch]}" >>"$work/noc.json"
a_live() { nscreen | grep -F "R7-OUT-A" | grep -qE "100\.0% +12 "; }
check "new CDRs show live, without a key (A: 12 attempts)" retry a_live
nkeys Enter
check "Enter on B shows its routes" nwait "Routes of R7-OUT-B"
uk_route() { nscreen | grep -F "United" | grep -qE "9\.1% +11 "; }
check "with the destination's figures (cut to the column at 80x24)" retry uk_route
nkeys Escape
check "Esc returns to the suppliers" nwait "Suppliers · 5m"
nkeys D
check "D shows the destinations" nwait "Destinations · 5m"
nkeys D
nwait "Suppliers · 5m" >/dev/null
nkeys Tab
if [[ $noc_reason == rule* ]]; then
    alert_row() { nscreen | grep -F "R7-OUT-B" | grep -F "NOC ASR" | grep -qF "NEW"; }
    check "Tab moves to the alert feed: the rule's alert, new" retry alert_row
    nkeys a
    acked() { nscreen | grep -F "R7-OUT-B" | grep -F "NOC ASR" | grep -qF "ACK"; }
    check "a acknowledges the selected alert" retry acked
    check "the alert is acknowledged on the server" test "$(sqlv "SELECT state FROM alerts WHERE rule_id = (SELECT id FROM monitor_rules WHERE name = 'NOC ASR') ORDER BY id DESC LIMIT 1")" = acknowledged
elif rpc alert.list '{}' | grep -q '"result"'; then
    check "Tab moves to the alert feed: none open" nwait "no open alerts"
else
    check "without alert methods the feed says so calmly" nwait "no alerts on this server"
fi
nkeys Tab
paused_pane() { nscreen | grep -F "R7-OUT-B" | grep -qF "$noc_reason"; }
check "Tab again: the paused routes with their reason" retry paused_pane
nkeys P
check "P on a paused route asks before resuming" nwait "Resume traffic on R7-OUT-B (paused: $noc_reason"
nkeys n
nkeys : q Enter
tmux -S "$sock" new-session -d -s wall -x 100 -y 30 \
    "env DIDTRON_PASSWORD=admin XDG_STATE_HOME=$work/state7 LANG=C.UTF-8 \
     '$DIDTRON_CONSOLE_BIN' --url ws://127.0.0.1:$port/ws --user admin --wall; sleep 30"
wscreen() { tmux -S "$sock" capture-pane -p -t wall; }
wall_up() { wscreen | grep -qF "[read-only]" && wscreen | grep -qF "R7-OUT-B"; }
check "--wall opens the dashboard read-only" retry wall_up
no_menu() { ! wscreen | grep -qE "MONITORING|CARRIERS"; }
check "full width: no menu" no_menu
tmux -S "$sock" send-keys -t wall p
check "and refuses edits" bash -c "sleep 0.5; tmux -S '$sock' capture-pane -p -t wall | grep -qF 'read-only mode'"
tmux -S "$sock" send-keys -t wall C-q

# --script replays keys (golden-screen tests): it waits for text, saves
# the screen as text, F12 (save-screen) writes a dated copy, and C-q quits.
cat > "$work/demo.script" <<SCRIPT
wait connected
keys / a c m e Enter
wait 1 of 1
keys Enter
wait Customer balance
save $work/golden.txt
key F12
wait screen saved to
key C-q
SCRIPT
tmux -S "$sock" new-session -d -s scripted -x 120 -y 30 \
    "env DIDTRON_PASSWORD=admin XDG_STATE_HOME=$work/state3 LANG=C.UTF-8 TERM=xterm-256color \
     '$DIDTRON_CONSOLE_BIN' --url ws://127.0.0.1:$port/ws --user admin --script $work/demo.script; \
     echo \$? > $work/script-exit; sleep 30"
retry_long() { local d=$((SECONDS + 30)); while ((SECONDS < d)); do "$@" && return 0; sleep 0.2; done; return 1; }
exit_code_is() { test "$(cat "$work/$1" 2>/dev/null)" = "$2"; }
check "a script runs to its C-q and exits 0" retry_long exit_code_is script-exit 0
check "its saved screen is the carrier's text" grep -q "Carrier Management / Acme Telecom" "$work/golden.txt"
check "with the three columns" grep -q "Credit Settings" "$work/golden.txt"
check "one line per terminal row" test "$(wc -l < "$work/golden.txt")" = 30
check "F12 wrote a dated screen file" bash -c "ls '$work/state3/didtron/'screen-*.txt >/dev/null 2>&1"
printf 'timeout 500\nwait Nothing shows this\nkey C-q\n' > "$work/fail.script"
tmux -S "$sock" new-session -d -s failing -x 120 -y 30 \
    "env DIDTRON_PASSWORD=admin XDG_STATE_HOME=$work/state3 LANG=C.UTF-8 \
     '$DIDTRON_CONSOLE_BIN' --url ws://127.0.0.1:$port/ws --user admin --script $work/fail.script \
     2> $work/fail.err; echo \$? > $work/fail-exit; sleep 30"
check "a wait that never comes true exits 3" retry_long exit_code_is fail-exit 3
check "and says which line" grep -q "script line 2: the screen never showed" "$work/fail.err"
printf 'keys Down Bogus\n' > "$work/bad.script"
bad_script() { ! DIDTRON_PASSWORD=x "$DIDTRON_CONSOLE_BIN" --user admin --script "$work/bad.script" 2>"$work/bad.err" &&
    grep -q "bad.script:1: unknown key" "$work/bad.err"; }
check "a bad script is refused before starting, with its line" bad_script

# Colour: the accent is colour 27 (nearest #2563EB) in 256 colours, and
# exactly #2563EB when COLORTERM says truecolor (via xterm-direct).
accent_256() { tmux -S "$sock" capture-pane -e -p -t console | grep -q "48;5;27m"; }
check "256 colours: the header uses colour 27" accent_256
tmux -S "$sock" new-session -d -s truecolor -x 120 -y 30 \
    "env COLORTERM=truecolor TERM=xterm-256color DIDTRON_PASSWORD=admin XDG_STATE_HOME=$work/state4 LANG=C.UTF-8 \
     '$DIDTRON_CONSOLE_BIN' --url ws://127.0.0.1:$port/ws --user admin; sleep 30"
accent_rgb() { tmux -S "$sock" capture-pane -e -p -t truecolor | grep -q "48;2;37;99;235m"; }
check "COLORTERM=truecolor: the header is exactly #2563EB" retry accent_rgb
tmux -S "$sock" new-session -d -s nocolor -x 120 -y 30 \
    "env NO_COLOR=1 TERM=xterm-256color DIDTRON_PASSWORD=admin XDG_STATE_HOME=$work/state4 LANG=C.UTF-8 \
     '$DIDTRON_CONSOLE_BIN' --url ws://127.0.0.1:$port/ws --user admin; sleep 30"
no_colour() {
    local s; s="$(tmux -S "$sock" capture-pane -e -p -t nocolor)"
    # 39/49 (default colours) are tmux's resets, not colour
    grep -q "connected" <<<"$s" && grep -q $'\e\\[7m' <<<"$s" && ! grep -qE "[[;](3[0-7]|4[0-7])m|[34]8;[25];" <<<"$s"
}
check "NO_COLOR=1: no colour at all, reverse video for the header" retry no_colour

# With no password and no cached token the console asks on its login
# screen; a refused login says why and asks again.
tmux -S "$sock" new-session -d -s login -x 100 -y 30 \
    "env -u DIDTRON_PASSWORD XDG_STATE_HOME=$work/state5 LANG=C.UTF-8 \
     '$DIDTRON_CONSOLE_BIN' --url ws://127.0.0.1:$port/ws --user admin; sleep 30"
lscreen() { tmux -S "$sock" capture-pane -p -t login; }
lwait() { local d=$((SECONDS + 15)); while ((SECONDS < d)); do lscreen | grep -qF -- "$1" && return 0; sleep 0.2; done; return 1; }
lkeys() { local k; for k in "$@"; do tmux -S "$sock" send-keys -t login "$k"; sleep 0.05; done; }
check "the login screen asks for the password" lwait "DIDTron · log in"
lkeys w r o n g Enter
check "a wrong password is refused on the screen" lwait "login refused"
lkeys a d m i n Enter
check "the right one logs in" lwait "20 of 20" # the demo's 16 and the routing test's 4
check "and the token is cached" test -s "$work/state5/didtron/token"

# A customer user lands on its own carrier and sees no administration.
token="$(curl -fsS -X POST "http://127.0.0.1:$port/rpc" -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"auth.login","params":{"username":"admin","password":"admin"}}' |
    sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')"
curl -fsS -X POST "http://127.0.0.1:$port/rpc" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":2,"method":"user.create","params":{"username":"acme-noc","password":"password123","role":"customer","carrier_id":1}}' >/dev/null
tmux -S "$sock" new-session -d -s customer -x 120 -y 30 \
    "env DIDTRON_PASSWORD=password123 XDG_STATE_HOME=$work/state2 LANG=C.UTF-8 '$DIDTRON_CONSOLE_BIN' --url ws://127.0.0.1:$port/ws --user acme-noc; sleep 30"
cscreen() { tmux -S "$sock" capture-pane -p -t customer; }
cwait() { local d=$((SECONDS + 15)); while ((SECONDS < d)); do cscreen | grep -qF -- "$1" && return 0; sleep 0.2; done; return 1; }
check "a customer lands on its own carrier" cwait "Carrier Management / Acme Telecom"
tmux -S "$sock" send-keys -t customer M-1
check "its list holds only its carrier" cwait "1 of 1"
no_admin() { ! cscreen | grep -qE "Users|Audit log"; }
check "its menu has no users or audit log" no_admin
tmux -S "$sock" send-keys -t customer : u s e r s Enter
check "and :users is refused" cwait "your role cannot open that list"
tmux -S "$sock" send-keys -t customer : j o u r n a l s Enter
own_journals() { cscreen | grep -qF "Billing / Journals" && cscreen | grep -qF "1 of 1" && cscreen | grep -qF 25.000000; }
check "its :journals holds only its own carrier's (the top-up of 25)" retry own_journals

# Support (issue 9): a customer's ticket answered end to end. The customer
# opens it over the API; the agent (this console) finds it in :tickets with
# its SLA countdown, opens it, writes an internal note and a public reply
# in the multi-line editor, and resolves it; the customer's own view of the
# ticket has the reply and not the note. Skipped, saying so, while the
# server has no ticket methods.
keys Escape
for _ in $(seq 1 8); do keys M-2 C-w; done
cust_token="$(curl -fsS -X POST "http://127.0.0.1:$port/rpc" -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"auth.login","params":{"username":"acme-noc","password":"password123"}}' |
    sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')"
crpc() { # crpc METHOD PARAMS: one JSON-RPC call over HTTP as the customer acme-noc
    curl -fsS -X POST "http://127.0.0.1:$port/rpc" -H "Authorization: Bearer $cust_token" \
        -H 'Content-Type: application/json' -d "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"$1\",\"params\":$2}"
}
rpc sla_policy.create '{"priority":"high","first_response_minutes":240,"resolution_minutes":1440,"business_hours":false}' \
    >>"$work/support.json" 2>&1
rpc kb.article.create '{"title":"One-way audio: check RTP and NAT","body":"When calls have one-way audio, the RTP goes to a wrong address.","category":"voice-quality","tags":["audio"],"state":"published","audience":"public"}' \
    >>"$work/support.json" 2>&1
created="$(crpc ticket.create '{"subject":"One-way audio to UK","body":"Calls to +44 have had one-way audio since 10:00.","priority":"high"}')"
if grep -q '"code":-32601' <<<"$created"; then
    echo "# skip: the server has no ticket methods yet (ticket.create: method not found); the support section is skipped"
    keys : t i c k e t s Enter
    check ":tickets says calmly that the server has no tickets yet" wait_for "Tickets: not available on this server yet"
    keys C-w
else
    ticket_id="$(sed 's/.*"result":{//' <<<"$created" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)"
    keys : t i c k e t s Enter
    check ":tickets lists the customer's new ticket" wait_for "One-way audio to UK"
    sla_counts() { screen | grep -F "One-way audio to UK" | grep -qE " (3h5[0-9]m|4h00m) "; }
    check "with its SLA countdown to the first response (4 h)" retry sla_counts
    keys / a u d i o Enter
    wait_for "1 of 1" >/dev/null
    keys Enter
    check "Enter opens the ticket with the conversation" wait_for "Conversation"
    check "the customer's message is in it" wait_for "one-way audio since 10:00"
    check "at 120 columns the carrier side panel shows the balance" wait_for "Balance "
    keys n
    check "n opens the internal note editor" wait_for "NOTE (internal) · staff only"
    text "Checked the trunk: RTP goes"
    keys Enter
    text "to the old SBC. Not for the customer."
    keys C-s
    check "the note is in the conversation, marked internal" wait_for "NOTE (internal) · admin"
    check "with its second line" wait_for "to the old SBC. Not for the customer."
    keys r
    check "r opens the reply editor" wait_for "Reply to customer"
    text "We found the fault"
    keys Enter
    text "and fixed it: please try again."
    keys F2
    check "the public reply shows, both lines" wait_for "and fixed it: please try again."
    note_marked() { screen | grep -F "to the old SBC" | grep -qE "(┃|!) "; }
    check "the note's lines carry the internal bar, the reply's do not" note_marked
    reply_plain() { ! screen | grep -F "and fixed it: please" | grep -qE "(┃|!) "; }
    check "and the reply's do not" reply_plain
    # The assign picker names the agents (user.agents: any staff may ask).
    rpc user.create '{"username":"agent-ann","password":"password123","role":"support"}' >/dev/null
    keys a
    check "a opens the assign picker with the agents by name" wait_for "agent-ann (support)"
    keys Escape
    wait_gone "agent-ann (support)" >/dev/null
    keys s
    check "s offers the statuses allowed from open" wait_for "> pending"
    keys Down Enter
    resolved() { screen | grep -F "Status" | grep -qF "resolved"; }
    check "choosing resolved resolves the ticket" retry resolved
    cust_view="$(crpc ticket.get "{\"id\":$ticket_id}")"
    check "the customer's ticket.get has the reply" grep -qF "and fixed it: please try again." <<<"$cust_view"
    check "and not the internal note" bash -c '! grep -qF "old SBC" <<<"$1"' _ "$cust_view"
    check "and says resolved" grep -qF '"status":"resolved"' <<<"$cust_view"
    keys C-w C-w
    # The customer opens one in its console: N, the subject, and the
    # knowledge base suggests an article while it types; C-s sends.
    ckeys() { local k; for k in "$@"; do tmux -S "$sock" send-keys -t customer "$k"; sleep 0.05; done; }
    ckeys : t i c k e t s Enter
    cwait "Support / Tickets" >/dev/null
    ckeys N
    check "N in the customer's queue opens the new-ticket dialog" cwait "New ticket · Tab next field"
    tmux -S "$sock" send-keys -t customer -l "One-way audio again"
    if crpc kb.suggest '{"text":"one-way audio"}' | grep -q '"result"'; then
        check "a knowledge-base article is suggested while the customer types" cwait "One-way audio: check RTP and NAT"
    fi
    ckeys Tab Tab Tab
    tmux -S "$sock" send-keys -t customer -l "Since noon, all calls."
    ckeys C-s
    check "C-s sends it and the new ticket opens" cwait "Support / Tickets / T-"
    check "with the customer's text" cwait "Since noon, all calls."
fi
# The knowledge base: :kb searches what is typed on Enter and Enter again
# opens the article; without kb.search the screen says so calmly.
kb_answer="$(rpc kb.search '{"q":"audio"}' 2>&1)"
keys : k b Enter
wait_for "Support / Knowledge base" >/dev/null
text "audio"
keys Enter
if grep -q '"code":-32601' <<<"$kb_answer"; then
    echo "# skip: the server has no kb.search yet"
    check ":kb says calmly that the knowledge base is not available" wait_for "Knowledge base: not available"
elif first_title="$(sed -n 's/.*"items":\[{[^}]*"title":"\([^"]*\)".*/\1/p' <<<"$kb_answer")" && [[ -n $first_title ]]; then
    check ":kb finds the articles kb.search finds" wait_for "$first_title"
    keys Enter
    check "Enter opens the article" wait_for "Knowledge base / ${first_title:0:20}"
    keys C-w
else
    check ":kb says when nothing matches" wait_for "no article matches"
fi
keys C-w

keys : q Enter
for _ in $(seq 1 50); do [[ -s $work/exit-code ]] && break; sleep 0.1; done
check ":q exits with status 0" test "$(cat "$work/exit-code" 2>/dev/null)" = 0

echo "1..$n"
echo "console: $((n - failed)) passed, $failed failed"
((failed == 0))
