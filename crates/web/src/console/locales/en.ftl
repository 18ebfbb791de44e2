# The console's words in English.
# One message a line; a page names it by its id (crates/web/src/console/i18n.rs).

console = anti-relou console
language-name = English
switch-language = Français
skip-to-content = Skip to content
sign-in = Sign in
sign-out = Sign out
sign-in-intro = Enter your collective's admin token (or the operator token).
token = Token
wrong-token = Unknown token.
too-many-attempts = Too many attempts from this address: try again in a minute.
signed-in-as = Signed in:
operator = operator (every collective)
tenant = Collective
navigation = Navigation
overview = Overview
number = Number
numbers = Numbers
blocklist = Block list
money = Money
alerts = Alerts
attacks = Attacks
attack = Attack
attacks-intro = Each time the number was flooded with messages and protected itself, newest first. For each, a file to hand to the police.
no-attack = No attack so far.
attack-start = Start
attack-end = End
still-on = still going on
messages = Messages received
new-senders = Senders (at least)
flooders = Senders flooding the number
replies-sent = Replies sent
spent = Spent
saved-by-shield = Saved by the protection
the-file = The file for a complaint
download-file = Download the file (ZIP)
file-has-senders = The file holds a report in French, the volumes per 10 minutes and senders.csv.age: the numbers that flooded, their dates, their message counts and a few of their texts. That file is encrypted to your collective's key: neither the platform nor its host can read it.
file-without-senders = The file holds a report in French and the volumes per 10 minutes. No sender's number was kept: to keep them in future attacks, encrypted for you alone, ask your host to add your collective's public key (see below).
open-the-file = Opening the senders file
open-the-file-intro = It opens with age, a free program (package "age" on Debian and Ubuntu, "brew install age" on a Mac, age-encryption.org for Windows), and your collective's secret key. That key is made once, on a collective member's computer, with "age-keygen -o cle-du-collectif.txt": the "Public key: age1…" line it prints is the public key to give your host. To open the file:
keep-the-key = Keep cle-du-collectif.txt somewhere safe (a USB stick in a drawer, a password manager) and never send it, to the platform or anyone: without it nobody can read the numbers, not even you.
file-acomplaint = Filing a complaint
complaint-step1 = Download the file above and open the senders file with your key: keep senders.csv with the file.
complaint-step2 = You may start with an online pre-complaint (pre-plainte-en-ligne.gouv.fr): it gives you an appointment.
complaint-step3 = Go to a police station (commissariat) or a gendarmerie brigade with the file on a USB stick and the report (report.html) printed. The facts may be obstructing an automated data processing system (French penal code, art. 323-2).
complaint-step4 = Hand over the whole file: manifest.json and its signature let anyone check nothing was changed.
state = State
paused = Paused
answering = Answering
shield = Shield
shield-on = Shield on
shield-off = Shield off
pause = Pause
resume = Resume
paused-done = The number is paused: nobody gets a reply.
resumed-done = The number answers again.
spend-today = Spend
number-daily = Daily cap (number)
tenant-monthly = Monthly cap (collective)
deployment-monthly = Monthly cap (whole service)
no-cap = no cap
of = of
balance = Prepaid balance
reached = reached
decisions-today = Today's messages (up to 10 seconds behind)
calls = Calls
calls-hear = Whoever calls this number hears this message once, then the call ends:
call-length = Length of the message
call-seconds = about { $count }{"\u00A0"}s
call-most-cost = Cost of an answered call, at most
no-voice = This number does not answer calls: they are refused, at no cost.
calls-today = Today's calls (up to 10 seconds behind)
calls-answered = { $count ->
    [one] { $count }{"\u00A0"}call answered
   *[other] { $count }{"\u00A0"}calls answered
}
calls-refused = { $count ->
    [one] { $count }{"\u00A0"}call refused at no cost
   *[other] { $count }{"\u00A0"}calls refused at no cost
}
calls-refused-why = A call is refused, at no cost, when the caller already got an answer (by message or by call), during an attack, when the money is spent or when the number is paused.
decision = Decision
outcome-paused = paused
outcome-blocked = blocked number
outcome-duplicate = the same message sent again by the provider (counted once)
outcome-opted-out = opted out (STOP)
outcome-not-aphone = not a phone number
outcome-repeat-sender = already answered
outcome-country-not-allowed = country not allowed
outcome-deferred = put on hold (reply decided later)
outcome-shielded = held by the shield
outcome-budget-exhausted = budget exhausted
outcome-rate-limited = too many replies this minute
outcome-overloaded = overloaded
outcome-ledger-unavailable = ledger unavailable
outcome-replied = replied
since-top-up = since the top-up of
flood-on = Flood on
shield-until = shield on until
flood-over = The flood is over on
shield-off-now = shield off
no-balance = No prepaid credit.
budget-exhausted = Budget exhausted:
last24h = Last 24 hours
chart-partial = Many entries: the chart shows only the first ones.
hour-ago = 24 h ago
now = now
reply = Automatic reply
reply-help = The text sent once to each person who writes.
characters = Characters
encoding = Encoding
segments = SMS segments
cost-per-reply = Cost per reply
ucs2-intro = These characters make each SMS shorter (70 characters instead of 160), so the reply may cost more:
replaceable-by = can be replaced by
no-equivalent = no equivalent
replace-ucs2 = Replace these characters by their equivalent
replaced = Characters replaced: read the reply again, then save it.
too-many-segments = Too long: at most 10 segments.
save-reply = Save the reply
caps-and-shield = Caps and shield
max-replies-per-minute = Replies per minute at most
shield-trigger = Shield: messages per minute that trigger it
save = Save
saved = Saved: every server applies it.
empty-is-no-cap = Empty daily cap: no cap.
blocked = Blocked.
not-anumber = Not a complete phone number (examples: 06 11 22 33 44, +33 6 11 22 33 44).
unblocked = Unblocked.
alerts-webhook = Every alert, the shield's too, is also sent to the collective's alert address (its chat).
alert = Alert
blocklist-intro = A blocked number never gets a reply again. It is made unreadable on arrival: nobody can read it back here, not even you. Give it a label to recognise it.
phone-number = Number (as you write it: 06 11 22 33 44 or +33 6 11 22 33 44)
label = Label
add = Block
remove = Unblock
no-label = (no label)
since = Since
donations = Donations
no-donation-yet = No donation received yet.
donation-platform = Platform
payment-number = Payment number
refunded = Refunded on
replies-left = replies
none-yet = Nothing yet.
top-up = Top up
amount = Amount
note = Note
credited = Credited. New balance:
cap-not-positive = The cap must be more than zero (leave the field empty for no cap).
whole-number-needed = Write a whole number, at least 1.
reply-empty = The reply cannot be empty.
value-refused = This change could not be saved: check the fields.
amount-not-positive = The amount must be positive.
amount-invalid = Unreadable amount (example: 10.00).
entries = Entries
download-csv = Download as CSV
when = When
kind = Kind
count = Count
kind-reply = reply
kind-inbound = message received
kind-top-up = top-up
kind-donation = donation
kind-call = call answered
kind-call-settled = call ended: given back from its reservation
kind-refund = refund
reference = Reference
older-entries = Next entries
alerts-intro = The alerts sent to your collective, newest first: budget (50, 80 and 100 % of each cap and of the prepaid balance) and shield (a flood starts or ends).
ledger-unavailable = The ledger is unavailable: try again.
exports-busy = Two downloads of your collective are already running: try again in a minute.
not-found = Page not found.
form-refused = Change refused
go-back = Back
not-prepaid = Your collective is not prepaid: its replies are paid by the team that runs the service, within its caps, not from a balance. A top-up would pay for nothing. To pay your replies from a balance (credited here or by your donations; replies stop when it is empty), ask them to write prepaid = true for your collective in the configuration.
amount-too-large = This amount would take the balance over its maximum.
bad-cursor = This page of the list does not exist: go back to the first.
bad-form = Form refused (missing or stale form token): reload the page.
no-numbers = No numbers.
actor-unavailable = The number does not answer: try again.
health-title = Is it working?
health-since = since
health-shielded = Answering, shield up
health-out-of-money = No money left to reply
health-failing = Not working
reply-sent = { $count ->
    [one] { $count }{"\u00A0"}reply sent
   *[other] { $count }{"\u00A0"}replies sent
}
deferred = { $count ->
    [one] { $count }{"\u00A0"}person waiting for a reply (decided in the coming minutes)
   *[other] { $count }{"\u00A0"}people waiting for a reply (decided in the coming minutes)
}

## The number page while its shield is up (console/shield.rs).
shield-why = Why the shield is up
shield-why-surge = { $new ->
    [one] { $new } new number wrote
   *[other] { $new } new numbers wrote
} in one minute ({ $messages ->
    [one] { $messages } message
   *[other] { $messages } messages
}), while an ordinary hour has { $ordinary }.
shield-why-baseline = { $new ->
    [one] { $new } new number wrote
   *[other] { $new } new numbers wrote
} in one hour, while an ordinary hour has { $ordinary }.
shield-why-money = { $today ->
    [one] { $today } new number wrote
   *[other] { $today } new numbers wrote
} today: at this pace the day's money would be gone by { $time }.
shield-why-unknown = The number gets far more messages than usual.
shield-now = What the service is doing
shield-now-who = New numbers do not get a reply at once: the service watches them for a few minutes, then answers those who write like the people you gave the number to (once or twice), not those who flood it.
shield-now-when = Their reply goes 10 to 20 minutes after their first message.
shield-now-pace = The day's money is spent little by little (at most { $percent } % an hour), so that some is left for the people who write later.
shield-money-left = { $money } left for today.
shield-no-cap = No cap: nothing limits today's spending.
shield-do = What you can do
shield-do-nothing = Nothing, most of the time: the service protects itself, and the shield comes down when the flood stops.
shield-do-raise-cap = Raise the daily cap
shield-do-raise-cap-why = only if you can afford it: more people will get a reply.
shield-do-pause = Pause
shield-do-pause-why = nobody gets a reply any more, neither the attack nor anyone else.
attack-help-link = During an attack: what to do?

## The page "During an attack" (console/attack.rs).
during-an-attack = During an attack
attack-what = What is happening
attack-what-text = Someone is flooding your number with messages, often from dozens of different numbers, to use up the money for replies or to silence the number. It is not your fault, and it ends.
attack-service = What the service does by itself
attack-service-shield = It raises the shield: new numbers wait a few minutes before they get a reply.
attack-service-who = It answers the people who write once or twice, 10 to 20 minutes after their first message; those who send message after message get no reply.
attack-service-money = It spends the day's money little by little, so that some is left for the people who write later, and never goes over your caps. Each person gets one reply, however often they write.
attack-service-record = It keeps count of the attack (the "Attacks" page) and tells you when it starts and when it ends (the "Alerts" page).
attack-do = What you can do
attack-do-nothing = Nothing, most of the time. No need to change number: the people you gave it to already have it, and the attack ends.
attack-do-cap = Raise the daily cap, only if you can afford it: more people will get a reply, but the attack will take a share too.
attack-do-block = Block a number you recognise (the "Block list" page).
attack-do-evidence = Keep the evidence: if your collective gave your host a key, the numbers that flooded are kept, readable by you alone, and the "Attacks" page gives the file for a complaint. If not, ask your host to add one for next time.
attack-dont = Better not
attack-dont-pause = Pausing when you do not have to: a pause stops the replies to everyone, the people who need the number too.
attack-dont-no-cap = Removing the cap so that everyone gets a reply: the attack could use up the money.
# Between a link and what it does ("Pause: …").
colon = :{" "}
