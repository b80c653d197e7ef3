"""Generate socialbot's bundled demo stream: ``socialbot/data/demo_stream.jsonl``.

The demo stream is a week of made-up social-media posts that the project writes
itself (nothing is copied from any dataset). It feeds the replay connector so the
whole pipeline (ingest, classify, trends, spike alerts, reply drafts) can be shown
without network access or API keys.

Usage::

    python scripts/make_demo_stream.py [--out PATH]

The generator is deterministic (fixed seed, standard library only): re-running it
reproduces the file byte for byte. It prints a summary table when it runs.

What is in the stream
---------------------
* Brands (both fictional): **Parcelly**, an online grocery/household delivery
  service with an app (``@parcelly`` on X, ``r/parcelly`` on Reddit; the brand
  itself posts as ``parcelly`` on X and ``parcelly_official`` on Reddit), and its
  competitor **Boxwise** (``@boxwise``), mentioned now and then.
* Period: 2026-11-02T00:00:00Z .. 2026-11-08T23:59:59Z (Monday to Sunday), with a
  daily rhythm (quiet nights UTC 0-6, busy days and evenings) and Poisson
  variation per hour.
* About 1,700 posts, ~70% twitter / ~30% reddit. Reddit submissions carry the
  bare base36 id; comments have ``in_reply_to`` = parent id and
  ``conversation_id`` = submission id. Twitter ids are 19-digit snowflakes that
  increase with time; replies carry ``in_reply_to`` and ``conversation_id`` (the
  root tweet). Lines are sorted by ``created_at``; every line follows the
  Replay/JSONL contract in DESIGN.md with ``lang`` = "en".
* Mix outside the incident: ~30% praise, ~20% questions, ~25% complaints, ~25%
  noise (mentions, jokes, unrelated chatter, promos, referral codes, Boxwise
  comparisons), plus brand replies, retweet-style "RT @..." posts and a few
  spam/abusive posts (crypto giveaways, insults) that must never get a drafted
  reply. Praise includes plenty of positive delivery posts ("courier was super
  quick"), so a delivery spike is about negativity, not volume.
* Topics (the demo config defines the same names): ``delivery``, ``billing``,
  ``product_quality``, ``customer_service``, ``app_bugs``.
* Negative ``delivery`` posts run at a steady ~0-3 per hour (about 1-2 in the
  day) all week, except for **one incident**: on 2026-11-06 from 14:00 to about
  18:00 UTC a delivery outage makes negative delivery complaints surge (from
  14:00 at once, as when a courier system goes down: ~16-20 per hour until 17:00,
  decaying through 18:00-19:00), mostly on twitter with some on reddit, with recurring phrases:
  "orders not arriving", "tracking stuck on 'out for delivery'", "courier never
  showed", "#parcellydown". The brand posts status updates during it.

The exact counts (by platform, kind, topic, and hourly negative-delivery figures
around the incident) are printed by the script.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20261106
START = datetime(2026, 11, 2, tzinfo=UTC)
DAYS = 7
HOURS = DAYS * 24
END_TS = int((START + timedelta(days=DAYS)).timestamp()) - 1
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "socialbot" / "data" / "demo_stream.jsonl"

TOPICS = ["delivery", "billing", "product_quality", "customer_service", "app_bugs"]
INCIDENT_START = START + timedelta(days=4, hours=14)  # 2026-11-06T14:00:00Z
# Extra negative-delivery posts per hour from the incident start (hours 14..19).
INCIDENT_EXTRA = [16, 18, 20, 14, 5, 2]
INCIDENT_QUESTIONS = [2, 4, 3, 2, 1, 0]

TWITTER_EPOCH_MS = 1288834974657
BRAND_X = "parcelly"
BRAND_REDDIT = "parcelly_official"
SUBREDDIT = "parcelly"

# Posts per hour of day (UTC) relative to the daily peak.
HOUR_PROFILE = [
    0.45,
    0.30,
    0.20,
    0.15,
    0.15,
    0.20,
    0.35,
    0.60,
    0.85,
    1.00,
    1.05,
    1.10,
    1.25,
    1.15,
    1.05,
    1.00,
    1.05,
    1.20,
    1.35,
    1.45,
    1.50,
    1.40,
    1.10,
    0.75,
]
DAY_FACTOR = [1.00, 0.95, 1.00, 1.05, 1.10, 1.15, 1.10]  # Monday .. Sunday
SCALE = 9.6  # expected posts in an hour with profile 1.0
NEG_DELIVERY_SHARE = 0.14  # of all customer posts: ~25% complaints x ~55% delivery

# Weights of the remaining customer posts (everything but negative delivery).
MIX: list[tuple[str, str | None, float]] = [
    ("praise", "delivery", 10.0),
    ("praise", "product_quality", 6.0),
    ("praise", "customer_service", 4.5),
    ("praise", "billing", 3.0),
    ("praise", "app_bugs", 3.0),
    ("praise", None, 3.5),
    ("question", "delivery", 6.0),
    ("question", "billing", 4.5),
    ("question", "product_quality", 3.5),
    ("question", "customer_service", 2.5),
    ("question", "app_bugs", 3.5),
    ("complaint", "billing", 3.0),
    ("complaint", "product_quality", 3.0),
    ("complaint", "customer_service", 2.0),
    ("complaint", "app_bugs", 3.0),
    ("noise", None, 24.0),
    ("spam", None, 1.0),
]

SENTIMENT = {
    "praise": "positive",
    "question": "neutral",
    "complaint": "negative",
    "noise": "neutral",
    "spam": "negative",
    "brand": "neutral",
}

# --------------------------------------------------------------------------- fillers

ITEMS = [
    "milk",
    "oat milk",
    "sourdough",
    "bananas",
    "avocados",
    "eggs",
    "chicken thighs",
    "salmon fillets",
    "greek yoghurt",
    "cheddar",
    "butter",
    "pasta",
    "rice",
    "olive oil",
    "coffee beans",
    "tea bags",
    "cereal",
    "orange juice",
    "strawberries",
    "blueberries",
    "spinach",
    "tomatoes",
    "potatoes",
    "onions",
    "peppers",
    "broccoli",
    "mince",
    "bacon",
    "tofu",
    "hummus",
    "crisps",
    "biscuits",
    "ice cream",
    "frozen peas",
    "pizza",
    "nappies",
    "washing up liquid",
    "toilet roll",
    "kitchen roll",
    "laundry pods",
    "dog food",
    "cat litter",
    "shampoo",
    "toothpaste",
    "bin bags",
    "birthday cake",
    "wine",
    "beer",
    "sparkling water",
    "baby wipes",
    "granola",
    "porridge oats",
    "lemons",
    "limes",
    "mushrooms",
    "cucumber",
    "lettuce",
    "flour",
    "sugar",
    "chocolate",
]
FRUIT = [
    "bananas",
    "avocados",
    "apples",
    "pears",
    "peaches",
    "strawberries",
    "grapes",
    "nectarines",
    "mangoes",
    "plums",
    "tomatoes",
    "raspberries",
]
HOODS = [
    "Northgate",
    "Riverside",
    "Eastfield",
    "Old Town",
    "Harbourside",
    "Millbrook",
    "Westend",
    "Kingsbury",
    "Ashford Park",
    "Canal Street",
    "Hollow Lane",
    "Brookvale",
    "St Anne's",
    "Fernhill",
    "Docklands",
    "Marlow Green",
    "Southbank",
    "Elmstead",
    "Copper Hill",
    "Larkrise",
]
SLOTS = [
    "7-8am",
    "8-9am",
    "9-10am",
    "10-11am",
    "11am-12",
    "12-1pm",
    "1-2pm",
    "2-3pm",
    "4-5pm",
    "5-6pm",
    "6-7pm",
    "7-8pm",
    "8-9pm",
    "9-10pm",
]
CLOCK = ["7pm", "7:30", "8pm", "half 8", "9pm", "9:15", "10am", "11am", "noon", "1pm", "6pm"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
CODES = ["SAVE10", "WELCOME15", "AUTUMN20", "FREEDEL", "NOV5", "PARCEL25", "FIRSTSHOP", "BIGSHOP"]
AGENTS = ["Maya", "Tom", "Priya", "Jonas", "Aisha", "Leo", "Sam", "Nadia", "Ollie", "Rosa"]
SIGS = ["JM", "AK", "RB", "SL", "TN", "PD"]
COMPS = ["Boxwise", "boxwise", "@boxwise"]
NEG_EMOJI = ["😡", "🙄", "😤", "😩", "🤬", "💀", "😭", "😒", "🫠"]
POS_EMOJI = ["😍", "🙌", "💚", "👏", "🥳", "😊", "🔥", "✨", "🫶", "💯"]
NEUTRAL_EMOJI = ["🤔", "😅", "👀", "🤷", "😂", "📦", "🛒"]
SPAM_LINKS = [
    "bit.ly/free-usdt-drop",
    "tinyurl.com/parcel-gift",
    "claim-now.xyz/gift",
    "t.ly/airdr0p",
]
FRUSTRATION = [
    "honestly done with this",
    "why do i keep using this",
    "every. single. week.",
    "not good enough",
    "seriously considering switching",
    "this is getting ridiculous",
    "so fed up",
    "absolute joke",
    "can't be the only one",
    "come on",
]
NEG_DELIVERY_LEAD = ["", "", "", "ugh. ", "again. ", "unreal. ", "not again. ", "sigh. "]

SLANG = [
    (r"\byou\b", "u"),
    (r"\bplease\b", "pls"),
    (r"\breally\b", "rly"),
    (r"\bthough\b", "tho"),
    (r"\bbecause\b", "bc"),
    (r"\bto be honest\b", "tbh"),
    (r"\bpeople\b", "ppl"),
    (r"\bthanks\b", "thx"),
    (r"\babout\b", "abt"),
    (r"\btonight\b", "tonite"),
]
HASHTAGS = {
    "praise": ["#parcelly", "#groceries", "#shoutout", "#happycustomer", "#sundayshop"],
    "complaint": ["#fail", "#customerservice", "#parcelly", "#notimpressed", "#groceries"],
    "question": ["#parcelly", "#help", "#groceries"],
    "noise": ["#parcelly", "#groceries", "#mondaymood", "#lol", "#boxwise", "#foodie"],
}

# --------------------------------------------------------------------------- templates

T: dict[tuple[str, str | None], list[str]] = {
    ("complaint", "delivery"): [
        "{brand} my order was meant to come {slot} and it's now {clock}. still nothing {neg}",
        "third late delivery this month from {brand}. {frust}",
        "{brand} delivered my shopping to the wrong flat in {hood}. neighbour found it {n} hours "
        "later",
        "ordered {item} and {item2} from {brand}, the {item} never turned up. {frust}",
        "{brand} courier left my bags outside in the rain, the {item} is soaked through {neg}",
        "{brand} delivery slot {slot} came and went. no call, no text, nothing",
        "why does {brand} keep cancelling my delivery slot an hour before? twice this week now",
        "the {brand} driver basically threw the box on the step and left, {item} smashed {neg}",
        "{brand} app says delivered. it was not delivered. where are my groceries",
        "paid extra for express delivery with {brand} and it took {n} hours. what's the point",
        "half my {brand} order missing again, {item} and {item2} just gone",
        "frozen stuff from {brand} arrived completely defrosted, van must have been late and warm",
        "got someone else's {brand} order in {hood}. lovely {item} but where is mine",
        "{brand} courier rang once and left before i got downstairs. rebooked for {weekday} {neg}",
        "{brand} delivered at 6:40am when my slot was {slot}. woke the baby {neg}",
        "late again {brand}. {mins} minutes past the slot and counting",
        "the {brand} delivery window keeps moving. first {slot}, now 'later today'. {frust}",
        "{brand} my {item} was crushed under a crate of {item2} in the delivery box",
        "{brand} courier parked across my drive for 20 min then delivered to number {n}",
        "missed delivery note from {brand} but i was home all day?? {neg}",
        "{brand} the driver refused to bring the order up to the {nth} floor. we have a lift",
        "{brand} delivery came a day late and half the chilled stuff was warm",
    ],
    ("praise", "delivery"): [
        "shoutout to the {brand} courier who carried {n} bags up the stairs without a word of "
        "complaint {pos}",
        "{brand} delivery turned up {mins} minutes early, courier was super quick and friendly",
        "ordered at lunch, groceries at my door in under an hour. {brand} never misses",
        "the {brand} driver in {hood} is a legend, remembers the dog and doesn't ring the bell",
        "courier was super quick today, {brand} keeps getting better {pos}",
        "{brand} same-day delivery saved my dinner party tonight {pos}",
        "love that {brand} gives you a 1-hour slot and actually sticks to it",
        "{brand} delivered in the pouring rain and everything was still bone dry. respect to the "
        "courier",
        "ran out of {item} at {clock}, {brand} had it here in {mins} mins. wild",
        "tracking on {brand} was spot on, courier arrived exactly when it said",
        "{brand} courier helped my gran carry her shopping into the kitchen. lovely lad {pos}",
        "delivery from {brand} right on time again, {slot} slot, zero fuss",
        "{brand} got my order to {hood} in {mins} minutes on a friday night. how",
        "our {brand} courier always texts when they're 5 minutes away, so handy",
        "never had a late delivery with {brand} in {n} months. that's rare these days",
        "the {brand} driver even put the frozen stuff straight in my freezer bag {pos}",
    ],
    ("praise", "product_quality"): [
        "the {item} from {brand} this week is unreal, better than the supermarket",
        "{brand} {fruit} perfectly ripe for once {pos}",
        "honestly {brand} fresh stuff > any shop in {hood}",
        "long dates on everything in my {brand} order, {item} good till next {weekday}",
        "packed so carefully, eggs all intact, {item} wrapped separately. {brand} gets it",
        "{brand} own brand {item} is surprisingly good",
        "the {fruit} from {brand} actually taste of something. who knew",
        "{brand} substitution was {item2} instead of {item} and it was better tbh",
        "{brand} bakery {item} still warm when it arrived {pos}",
    ],
    ("praise", "customer_service"): [
        "{brand} support sorted my missing {item} in like 2 minutes, refund straight away {pos}",
        "shoutout to {agent} from {brand} chat, super helpful and actually funny",
        "told {brand} about a squashed {item} and they credited me without any fuss",
        "{brand} customer service is genuinely the best i've dealt with",
        "{agent} at {brand} went above and beyond today, thank you!!",
        "{brand} support replied in {mins} minutes on a sunday. impressed",
        "had an issue with my {brand} order, chat fixed it before i'd finished my tea {pos}",
    ],
    ("praise", "billing"): [
        "{brand} promo code {code} worked first time, {pct}% off my whole shop",
        "prices on {brand} this week are actually cheaper than {comp}",
        "the {brand} plus subscription has paid for itself already, free delivery every week",
        "{brand} refunded me before i even asked, {amount} back on my card",
        "{brand} price match on {item} is a nice touch",
        "weekly shop on {brand} came to {amount}, less than my usual supermarket run {pos}",
    ],
    ("praise", "app_bugs"): [
        "the new {brand} app update is so smooth, reorder in two taps",
        "{brand} app remembering my usual shop is dangerous for my wallet {pos}",
        "checkout on the {brand} app takes like 10 seconds now, love it",
        "the {brand} app's substitution suggestions are actually good??",
        "{brand} app live tracking is so satisfying to watch",
        "dark mode on the {brand} app finally {pos}",
    ],
    ("praise", None): [
        "{brand} has genuinely changed how i do groceries",
        "been using {brand} for {n} months now, not going back",
        "{brand} is the only subscription i don't regret",
        "recommended {brand} to my whole office today, you're welcome",
        "sunday morning, coffee, {brand} shop done in 5 minutes. bliss {pos}",
        "tried {comp} once, went straight back to {brand}",
    ],
    ("question", "delivery"): [
        "does {brand} deliver on sundays?",
        "{brand} do you deliver to {hood} yet?",
        "can i change my {brand} delivery slot after ordering?",
        "what time do {brand} couriers stop delivering in the evening?",
        "does {brand} do same-day delivery on bank holidays?",
        "{brand} can the courier leave the order with a neighbour if i'm out?",
        "how do i add delivery instructions on {brand}? our buzzer is broken",
        "is there a way to get {brand} to deliver to my office instead of home?",
        "{brand} do your couriers take the cardboard boxes back?",
        "anyone know if {brand} delivers to the new flats in {hood}?",
        "how early can you book a {brand} slot for {weekday}?",
    ],
    ("question", "billing"): [
        "{brand} how do i cancel my plus subscription?",
        "does the {brand} promo code {code} work on existing accounts?",
        "{brand} when do refunds usually show up on the card?",
        "why is there a {fee} service fee on my {brand} order?",
        "can you pay with apple pay on {brand}?",
        "is there a minimum order for free delivery on {brand}?",
        "{brand} do you do student discount?",
        "does {brand} plus include free delivery on small orders too?",
    ],
    ("question", "product_quality"): [
        "{brand} are your {fruit} organic?",
        "does {brand} sell gluten free {item}?",
        "how fresh is the fish on {brand}, anyone tried it?",
        "{brand} where does your {item} come from?",
        "are the {brand} meal kits any good or a gimmick?",
        "{brand} how long do your {fruit} usually last?",
    ],
    ("question", "customer_service"): [
        "{brand} what are your support hours?",
        "is there a phone number for {brand} support or only chat?",
        "how long does {brand} usually take to reply to emails?",
        "{brand} can i speak to an actual person about my account?",
        "what's the best way to reach {brand} about a missing refund?",
    ],
    ("question", "app_bugs"): [
        "{brand} is there a way to save more than one address in the app?",
        "does the {brand} app work on older iphones?",
        "how do i turn off {brand} push notifications for offers but keep the delivery ones?",
        "{brand} any plans for a desktop site or is it app only?",
        "can i share my {brand} basket with my partner in the app?",
        "{brand} is there a dark mode in the app?",
        "how do i reorder last week's shop in the {brand} app?",
    ],
    ("complaint", "billing"): [
        "{brand} charged me twice for the same order, {amount} x2. sort it out",
        "still waiting on a refund for the missing {item}, {n} days now {brand}",
        "{brand} promo code {code} says invalid at checkout. why email it to me then",
        "why did my {brand} plus subscription go up to {sub} a month without any notice",
        "{brand} charged a {fee} 'small basket fee'. cheeky",
        "refund for the damaged {item} went on as credit, not to my card. didn't ask for that "
        "{brand}",
        "got billed full price for {item} that was substituted with {item2}. {brand} pls",
        "cancelled my {brand} subscription and they still took {amount} this month {neg}",
        "{brand} the price in the app said {amount}, my bank says otherwise",
        "{brand} pending charge of {amount} for an order i cancelled on {weekday}",
    ],
    ("complaint", "product_quality"): [
        "{brand} sent me bruised {fruit} again. every single one",
        "{item} from {brand} went out of date yesterday. delivered today {neg}",
        "the {item} in my {brand} order was leaking all over everything else",
        "mouldy {fruit} from {brand}, second week running",
        "{brand} substituted {item} with {item2}. how is that the same thing",
        "eggs from {brand} arrived with {n} cracked. packaging was a joke",
        "best before on the {item} from {brand} is tomorrow. for a multipack lol",
        "{brand} the {item} tastes off, checked the date and it's fine, still not ok",
        "{brand} your {fruit} are either rock hard or mush, no in between",
        "torn packaging on the {item} from {brand}, went straight in the bin",
    ],
    ("complaint", "customer_service"): [
        "been waiting in the {brand} chat queue for {mins} minutes {neg}",
        "{brand} chat support just closed my ticket without answering",
        "agent on {brand} chat was honestly rude, said it was my fault the {item} got squashed",
        "emailed {brand} {n} days ago. nothing. not even an auto reply",
        "{brand} support keeps sending me the same copy-paste answer",
        "the {brand} chatbot is useless, just loops back to the FAQ",
        "{brand} on hold for {mins} mins then the call dropped. {frust}",
        "asked {brand} support for a refund, got a voucher i can't use. {neg}",
    ],
    ("complaint", "app_bugs"): [
        "{brand} app crashes every time i hit checkout {neg}",
        "can't log into {brand}, keeps saying 'something went wrong'",
        "{brand} app logged me out and emptied my basket. {n} items gone",
        "checkout error on {brand} again, payment failed but the money left my account",
        "why does the {brand} app send me 6 push notifications about {item} offers a day",
        "{brand} app won't let me pick a delivery slot, just spins forever",
        "latest {brand} update broke search, typing {item} shows dog food??",
        "{brand} app on android is painfully slow since the update",
        "the {brand} app keeps forgetting my saved card {neg}",
        "{brand} login code never arrives by text. locked out of my own account",
    ],
    ("noise", None): [
        "saw a {brand} van parked on the pavement in {hood} again lol",
        "my cat is obsessed with {brand} boxes. best part of the subscription",
        "{brand} vs {comp}, which one are you lot using?",
        "me: i'll just pop to the shop. also me: opens {brand}",
        "my flatmate orders {brand} every single day. {n} boxes in the hallway",
        "the {brand} ad with the dancing fruit is on again. cursed",
        "is it 'parcel-ee' or 'par-selly'? asking for a friend",
        "tried {comp} this week for the promo. fine i guess. back to {brand} next week probably",
        "{comp} just launched in {hood}, wonder if {brand} will drop prices",
        "{brand} are hiring couriers in {hood}, saw the poster at the station",
        "{brand} put up the price of {item} again. to be fair everything is up",
        "podcast on grocery delivery startups this morning, {brand} and {comp} both came up",
        "waiting for a parcel from my mum and checking the window every 5 mins like a dog",
        "new {brand} warehouse going up near {hood}, traffic is already a mess",
        "use my {brand} referral code {ref} for {amount} off your first order!",
        "{brand} x local farms box this month, the {item} looks nice",
        "hot take: {brand} tote bags are the best tote bags",
        "weird that i know my {brand} courier's name but not my neighbours'",
        "{comp} or {brand} for a big monthly shop? genuinely can't decide",
        "the {brand} jingle is stuck in my head and it's {clock}",
        "dreamt i was a {brand} courier delivering {item} to my old teacher. ok brain",
        "{brand} and {comp} vans racing down {hood} high street this morning 😂",
        "reading {brand}'s sustainability report instead of working",
        "someone in {hood} has a {brand} box as a planter now. love it",
        "{comp} delivery was fine today. still miss the {brand} {item} tbh",
        "my mum calls every delivery app '{brand}' now",
        "{brand} just sponsored the {hood} 5k, their mascot is a giant banana",
        "bought {item} in an actual shop today like it's 2015",
        "lunch: {item} and {item2}. dinner: whatever {brand} brings",
        "rate my weekly {brand} haul: {item}, {item2}, and way too much {item3}",
    ],
    ("spam", None): [
        "🚀 CRYPTO GIVEAWAY 🚀 {brand} fans get 5000 USDT free!! claim at {link} before it ends",
        "Get 10k followers TODAY!!! DM me now @parcelly @boxwise #giveaway #follow",
        "{brand} is run by absolute clowns and everyone who works there is an idiot",
        "{brand} you are all useless idiots, hope the whole company goes bust",
        "FREE {brand} GIFT CARD $500 claim now {link} 🎁🎁",
        "earn $3000/week from home no experience ask me how 💰💰 @parcelly",
        "🔥 airdrop live 🔥 connect wallet at {link} #parcelly #crypto #btc",
    ],
}

INCIDENT_COMPLAINTS = [
    "{brand} orders not arriving?? tracking stuck on 'out for delivery' since {inc_time} {neg} "
    "#parcellydown",
    "courier never showed. {brand} still says out for delivery. {inc_hours} hours now "
    "#parcellydown",
    "is anyone else's {brand} order not arriving today? tracking stuck on 'out for delivery'",
    "{brand} what is going on, orders not arriving all over {hood}",
    "tracking stuck on 'out for delivery' for {mins} minutes. no courier, no update {brand} "
    "#parcellydown",
    "{brand} my {item} and everything else for dinner is somewhere out there. courier never showed",
    "#parcellydown again?? the kids' dinner was in that order {neg}",
    "{brand} courier never showed and the support chat won't even load. great afternoon",
    "whole street in {hood} waiting on {brand}, orders not arriving, tracking stuck",
    "{slot_pm} slot, nothing. tracking stuck on 'out for delivery'. {brand} just tell us what's "
    "happening #parcellydown",
    "{brand} orders not arriving, no email, no text. just 'out for delivery' forever",
    "took the afternoon off to wait for a {brand} courier that never showed #parcellydown",
    "hey {brand} the tracking has said 'out for delivery' since lunchtime. where is my food",
    "cancelled my {brand} order after {inc_hours} hours of 'out for delivery'. courier never "
    "showed. trying {comp} instead",
    "{brand} down? orders not arriving and tracking stuck {neg}",
    "{brand} tracking stuck on 'out for delivery' and the map shows the van in {hood} not moving",
    "so {brand} orders not arriving for anyone in {hood}? #parcellydown",
    "the {brand} courier never showed and now my slot says 'delayed' {neg} #parcellydown",
    "{brand} orders not arriving is one thing but zero communication is worse",
    "{mins} minutes late, tracking stuck on out for delivery, {item} for tonight nowhere. {brand} "
    "#parcellydown",
    "genuinely how does a whole delivery company just stop. orders not arriving, {brand} silent "
    "#parcellydown",
    "{brand} #parcellydown my {item} is apparently 'out for delivery' since {inc_time}",
]
INCIDENT_REPLIES = [
    "same here, courier never showed",
    "same in {hood}, tracking stuck on 'out for delivery'",
    "+1 orders not arriving here either #parcellydown",
    "mine too. {inc_hours} hours of 'out for delivery'",
    "same, tracking stuck and no one answering chat",
    "glad it's not just me. courier never showed",
    "still nothing here either {neg}",
]
INCIDENT_QUESTION_TEXTS = [
    "is {brand} down? my order's been 'out for delivery' for ages",
    "anyone know what's happening with {brand} deliveries today? #parcellydown",
    "{brand} are deliveries delayed today or is it just me?",
    "{brand} should i cancel and reorder or just wait?",
    "is there an outage at {brand}? tracking hasn't moved",
    "{brand} any idea when deliveries will be back to normal?",
]
INCIDENT_STATUS = [
    (
        38,
        "We're aware some orders are delayed and tracking isn't updating right now. "
        "Our team is on it and we'll post updates here. Really sorry. ^{sig}",
    ),
    (
        145,
        "Update: we've found the issue in our dispatch system that's holding up deliveries. "
        "Orders are starting to move again, some will still be late. Thanks for bearing with us. "
        "^{sig}",
    ),
    (
        262,
        "Deliveries are back to normal. Everyone whose order was delayed this afternoon will get "
        "a credit in their account by tomorrow. Sorry again 💚 ^{sig}",
    ),
]

BRAND_REPLY: dict[str, list[str]] = {
    "delivery": [
        "Sorry about this! Please DM us your order number and we'll chase the courier right away. "
        "^{sig}",
        "That's not the delivery we want for you. Can you DM us the order number so we can sort "
        "it? ^{sig}",
    ],
    "billing": [
        "That shouldn't happen. Send us a DM with your order number and we'll check the charge. "
        "^{sig}",
        "Sorry for the confusion with the payment! DM us and we'll look into it today. ^{sig}",
    ],
    "product_quality": [
        "Sorry it wasn't up to scratch! DM us a photo and we'll refund it straight away. ^{sig}",
        "That's not our standard at all. DM us your order number and we'll make it right. ^{sig}",
    ],
    "customer_service": [
        "We're sorry about your experience with our team. Can you DM us so we can look into it? "
        "^{sig}",
        "Sorry for the wait. We've got you now, please check your DMs. ^{sig}",
    ],
    "app_bugs": [
        "Sorry for the trouble! Could you DM us your app version and phone model? ^{sig}",
        "Thanks for flagging, our app team is looking into it. Updating the app may help "
        "meanwhile. ^{sig}",
    ],
    "question": [
        "Hi! Good question, you'll find this under Help in the app, or DM us and we'll help. "
        "^{sig}",
        "Hi there! Drop us a DM with the details and we'll get back to you quickly. ^{sig}",
    ],
    "praise": [
        "This made our day, thanks for sharing! 💚 ^{sig}",
        "Love to hear it! We'll pass this on to the team. ^{sig}",
    ],
    "incident": [
        "We're really sorry. A system issue is delaying deliveries this afternoon, the team is "
        "working "
        "on it and we'll update here. ^{sig}",
        "So sorry about this! Deliveries are delayed right now, we'll credit everyone affected. "
        "^{sig}",
    ],
}
REDDIT_BRAND_REPLY = [
    "Hi, Parcelly team here. Sorry about this! Could you send us your order number through the "
    "in-app chat (mention this thread) so we can look into it? - {agent}",
    "Hey, thanks for posting. This isn't the experience we want for you. Please message us your "
    "order number and we'll sort it out today. - {agent}",
    "Parcelly team here, thanks for flagging. We've passed this on and someone will reach out. "
    "- {agent}",
    "Sorry to read this, u/{user}. Can you send our chat team your order number? We'll make it "
    "right. - {agent}, Parcelly",
]
REDDIT_BRAND_ANSWER = [
    "Hi u/{user}! Parcelly team here. You'll find this under Help in the app, and our chat team "
    "can help with anything specific. - {agent}",
    "Good question! Short answer: yes, in most areas. Message our chat team with your postcode "
    "and they'll confirm. - {agent}, Parcelly",
    "Hi! Our chat team can sort this for you in a couple of minutes. - {agent} from Parcelly",
]
REDDIT_BRAND_THANKS = [
    "Thanks so much for the kind words, u/{user}, we'll pass this on to the team! - {agent}",
    "This made our day, thank you! 💚 - {agent}, Parcelly",
]
REDDIT_INCIDENT_BRAND = (
    "Parcelly team here. We're aware of a problem with our dispatch system that is delaying "
    "deliveries this afternoon and stopping tracking from updating. We're working on it and will "
    "update this thread. Everyone affected will receive a credit."
)
LEADS: dict[str, list[str]] = {
    "complaint": [
        "ugh, ",
        "honestly ",
        "so ",
        "right, ",
        "not again: ",
        "PSA: ",
        "rant: ",
        "ok so ",
        "genuinely ",
        "third time lucky? no. ",
    ],
    "question": [
        "quick question: ",
        "hey, ",
        "random q but ",
        "hi! ",
        "silly question but ",
        "anyone know: ",
        "help: ",
        "newbie here, ",
    ],
    "praise": [
        "not me being a fan but ",
        "ok ",
        "honestly ",
        "can we talk about how ",
        "wow, ",
        "small thing but ",
        "credit where due: ",
    ],
    "noise": ["lol ", "random thought: ", "ok but ", "update: ", "fun fact: ", "unrelated but "],
}
TAILS: dict[str, list[str]] = {
    "complaint": [
        "(in {hood})",
        ". order was for {clock} btw",
        ", {frust}",
        ". {frust}",
        ". sort it out",
        ". not the first time",
        "this {weekday}",
    ],
    "question": ["thanks!", "ta", "cheers", "(in {hood})", "asking for my mum", "x"],
    "praise": ["🙏", ". {hood} represent", ", thank you", "honestly", ". made my {weekday}"],
    "noise": ["😂", "lol", "anyway", ", {hood} problems", "#{weekday}vibes"],
}
REDDIT_CLOSERS = [
    "",
    "",
    "",
    "Anyone else?",
    "Rant over.",
    "Thoughts?",
    "Is this normal?",
    "Edit: typo",
    "Not sure what else to do.",
    "Cheers.",
    "lol",
]
REPLY_SAME = ["same here.", "this.", "+1,", "same.", "yep,", "honestly same,", "exactly,"]
REPLY_OPPOSITE = ["weird,", "can't relate tbh,", "hm,", "different experience here,", "odd,"]

# --------------------------------------------------------------------------- people

FIRST = [
    "jane",
    "tom",
    "priya",
    "sam",
    "alex",
    "mo",
    "lena",
    "josh",
    "aisha",
    "dan",
    "kate",
    "raj",
    "emma",
    "liam",
    "zoe",
    "omar",
    "mia",
    "ben",
    "nina",
    "luca",
    "chloe",
    "kwame",
    "sara",
    "ed",
    "fatima",
    "george",
    "hana",
    "isaac",
    "jess",
    "kai",
    "lucy",
    "max",
    "noor",
    "oscar",
    "pip",
    "ruby",
    "theo",
    "uma",
    "vic",
    "will",
    "yusuf",
    "amy",
    "chris",
    "dev",
    "ella",
    "finn",
    "grace",
]
LAST = [
    "doe",
    "smith",
    "patel",
    "khan",
    "jones",
    "okafor",
    "nguyen",
    "brown",
    "garcia",
    "wilson",
    "taylor",
    "ali",
    "lee",
    "clarke",
    "murphy",
    "evans",
    "hughes",
    "shah",
    "price",
    "reid",
]
WORDS = [
    "sunny",
    "lazy",
    "coffee",
    "pixel",
    "mellow",
    "crispy",
    "velvet",
    "rusty",
    "cosmic",
    "quiet",
    "salty",
    "lunar",
    "tiny",
    "spicy",
    "cloudy",
    "mossy",
    "fuzzy",
    "neon",
    "paper",
    "brave",
]
NOUNS = [
    "otter",
    "panda",
    "kettle",
    "fox",
    "toast",
    "walrus",
    "badger",
    "pickle",
    "moth",
    "heron",
    "bagel",
    "robin",
    "noodle",
    "llama",
    "gecko",
    "teapot",
    "pigeon",
    "crumpet",
    "koala",
    "owl",
]


def make_names(rng: random.Random, count: int, reddit: bool) -> list[str]:
    """Distinct plausible user names (X handles are at most 15 characters)."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        style = rng.random()
        if style < 0.35:
            name = f"{rng.choice(FIRST)}_{rng.choice(LAST)}"
        elif style < 0.6:
            name = f"{rng.choice(FIRST)}{rng.choice(LAST)}{rng.randint(1, 99)}"
        elif style < 0.85:
            sep = "_" if not reddit else rng.choice(["_", "-", ""])
            name = f"{rng.choice(WORDS)}{sep}{rng.choice(NOUNS)}"
        else:
            name = f"{rng.choice(NOUNS)}{rng.choice(WORDS)}{rng.randint(10, 9999)}"
        if reddit and rng.random() < 0.3:
            name = name[:1].upper() + name[1:]
        if not reddit:
            name = name[:15]
        if name in seen or name.lower().startswith("parcelly"):
            continue
        seen.add(name)
        names.append(name)
    return names


class People:
    """Zipf-ish author picker: a few regulars, a long tail of one-off posters."""

    def __init__(self, rng: random.Random, names: list[str]) -> None:
        self.rng = rng
        self.names = names
        self.weights = [1.0 / (rank + 1) ** 0.7 for rank in range(len(names))]

    def pick(self) -> str:
        return self.rng.choices(self.names, self.weights)[0]


# --------------------------------------------------------------------------- posts


@dataclass
class Item:
    ts: float
    platform: str
    kind: str
    topic: str | None
    incident: bool = False
    author: str = ""
    text: str = ""
    parent: Item | None = None
    root: Item | None = None
    slug: str = ""
    id: str = ""
    retweeted: bool = False
    children: int = 0

    @property
    def sentiment(self) -> str:
        return SENTIMENT[self.kind]

    @property
    def negative_delivery(self) -> bool:
        return self.kind == "complaint" and self.topic == "delivery"


class Writer:
    """Builds post texts from templates, slot fillers and light noise."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def fill(self, template: str, brand_forms: list[str], incident: bool = False) -> str:
        rng = self.rng
        picked: dict[str, str] = {}
        first_brand = [True]

        def item_not(*others: str) -> str:
            while True:
                value = rng.choice(ITEMS)
                if value not in others:
                    return value

        def sub(match: re.Match[str]) -> str:
            key = match.group(1)
            if key == "brand":
                if first_brand[0]:
                    first_brand[0] = False
                    return brand_forms[0]
                return rng.choice(brand_forms[1:] or brand_forms)
            if key in picked:
                return picked[key]
            value: str
            if key == "item":
                value = item_not()
            elif key == "item2":
                value = item_not(picked.get("item", ""))
            elif key == "item3":
                value = item_not(picked.get("item", ""), picked.get("item2", ""))
            elif key == "fruit":
                value = rng.choice(FRUIT)
            elif key == "hood":
                value = rng.choice(HOODS)
            elif key == "slot":
                value = rng.choice(SLOTS)
            elif key == "slot_pm":
                value = rng.choice(["2-3pm", "3-4pm", "2pm", "3pm", "half 2", "4-5pm"])
            elif key == "clock":
                value = rng.choice(CLOCK)
            elif key == "inc_time":
                value = rng.choice(["2pm", "14:10", "about 2", "lunchtime", "half 2", "2:15"])
            elif key == "nth":
                value = rng.choice(["3rd", "4th", "5th", "6th", "7th", "top"])
            elif key == "fee":
                value = f"${rng.choice([1, 2, 2, 3, 3, 4])}.{rng.choice(['49', '99', '50'])}"
            elif key == "sub":
                value = rng.choice(["$7.99", "$9.99", "$12.99", "$14.99"])
            elif key == "inc_hours":
                value = rng.choice(["2", "2", "3", "two", "nearly 3", "2.5"])
            elif key == "weekday":
                value = rng.choice(WEEKDAYS)
            elif key == "n":
                value = str(rng.choice([2, 2, 3, 3, 3, 4, 5, 6, 8]))
            elif key == "mins":
                value = str(rng.choice([15, 20, 25, 30, 40, 45, 50, 60, 75, 90]))
            elif key == "amount":
                value = f"${rng.randint(2, 89)}.{rng.choice(['00', '49', '99', '50', '29', '75'])}"
            elif key == "pct":
                value = str(rng.choice([10, 15, 20, 25]))
            elif key == "code":
                value = rng.choice(CODES)
            elif key == "ref":
                value = f"{rng.choice(FIRST).upper()}{rng.randint(10, 999)}"
            elif key == "agent":
                value = rng.choice(AGENTS)
            elif key == "comp":
                value = rng.choice(COMPS)
            elif key == "neg":
                value = rng.choice(NEG_EMOJI) if rng.random() < 0.6 else ""
            elif key == "pos":
                value = rng.choice(POS_EMOJI) if rng.random() < 0.7 else ""
            elif key == "frust":
                value = rng.choice(FRUSTRATION)
            elif key == "link":
                value = rng.choice(SPAM_LINKS)
            elif key == "sig":
                value = rng.choice(SIGS)
            else:
                raise KeyError(key)
            picked[key] = value
            return value

        text = re.sub(r"\{(\w+)\}", sub, template)
        return re.sub(r"\s+", " ", text).strip()

    def roughen(self, text: str, kind: str, platform: str) -> str:
        """Casing, slang, typos, emoji and hashtags so posts read like real ones."""
        rng = self.rng
        if kind in ("spam", "brand"):
            return text
        if rng.random() < 0.18:
            for pattern, repl in SLANG:
                text = re.sub(pattern, repl, text)
        if rng.random() < 0.07:
            words = text.split(" ")
            candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
            if candidates:
                i = rng.choice(candidates)
                w = words[i]
                j = rng.randrange(1, len(w) - 2)
                if rng.random() < 0.5:
                    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
                else:
                    words[i] = w[:j] + w[j + 1 :]
                text = " ".join(words)
        roll = rng.random()
        if roll < 0.45 and text[:1].isalpha():
            text = text[:1].upper() + text[1:]
            text = re.sub(r"\bi\b", "I", text)
            text = re.sub(r"\bi'(m|ve|d|ll)\b", r"I'\1", text)
        elif roll > 0.95 and kind == "complaint":
            text = text.upper()
        if kind == "complaint" and rng.random() < 0.15:
            text = text.rstrip(".") + rng.choice(["!!", "!!!", "...", " smh", " ffs", " 🙃"])
        if kind == "praise" and rng.random() < 0.2:
            text = text.rstrip(".") + rng.choice(["!", "!!", " 10/10", " ❤️", " thank you!!"])
        emoji_pool = {
            "praise": POS_EMOJI,
            "complaint": NEG_EMOJI,
            "question": NEUTRAL_EMOJI,
            "noise": NEUTRAL_EMOJI,
        }[kind]
        if rng.random() < 0.2 and not any(e in text for e in emoji_pool):
            text += " " + rng.choice(emoji_pool) * rng.choice([1, 1, 1, 2, 3])
        if platform == "twitter" and rng.random() < 0.14 and kind in HASHTAGS:
            tags = rng.sample(HASHTAGS[kind], rng.choice([1, 1, 2]))
            text += " " + " ".join(t for t in tags if t.lower() not in text.lower())
        return text.strip()


def brand_forms(rng: random.Random, platform: str, direct: bool) -> list[str]:
    """How {brand} is spelled: first occurrence, then the rest."""
    if platform == "reddit":
        return [rng.choice(["Parcelly", "parcelly"]), "Parcelly", "parcelly"]
    if direct:
        return ["@parcelly", "parcelly", "Parcelly", "@parcelly"]
    first = rng.choices(["parcelly", "Parcelly", "@parcelly"], [4, 4, 2])[0]
    return [first, "parcelly", "Parcelly"]


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; fine for the small rates used here."""
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# --------------------------------------------------------------------------- schedule


def schedule(rng: random.Random) -> list[Item]:
    """Decide when each customer post happens and what kind/topic it is."""
    items: list[Item] = []
    weights = [w for _, _, w in MIX]
    start_ts = START.timestamp()
    carry = rng.random()
    for hour in range(HOURS):
        day, hod = divmod(hour, 24)
        day_jitter = 1.0 + 0.06 * math.sin(day * 2.1 + 0.7)
        expected = SCALE * HOUR_PROFILE[hod] * DAY_FACTOR[day] * day_jitter
        hour_ts = start_ts + hour * 3600
        # Everything but negative delivery: Poisson.
        for _ in range(poisson(rng, expected * (1 - NEG_DELIVERY_SHARE))):
            kind, topic, _ = rng.choices(MIX, weights)[0]
            items.append(Item(hour_ts + rng.uniform(0, 3600), "", kind, topic))
        # Negative delivery: steady low-variance baseline (systematic sampling, capped).
        carry += expected * NEG_DELIVERY_SHARE * rng.uniform(0.7, 1.3)
        count = min(int(carry), 3)
        carry -= count
        for _ in range(count):
            items.append(Item(hour_ts + rng.uniform(0, 3600), "", "complaint", "delivery"))
    # The incident: an abrupt start (an outage), a decay during the last two hours.
    inc_ts = INCIDENT_START.timestamp()
    for offset, (extra, questions) in enumerate(
        zip(INCIDENT_EXTRA, INCIDENT_QUESTIONS, strict=True)
    ):
        for n_posts, kind in ((extra, "complaint"), (questions, "question")):
            for slot in range(n_posts):
                # stratified, like the baseline: each post in its own share of the hour,
                # so chance does not empty the first half hour of an abrupt outage
                u = (slot + rng.random()) / n_posts
                # uniform within the hour, density falling through the last two
                frac = 1 - math.sqrt(1 - u) if offset >= 4 else u
                ts = inc_ts + offset * 3600 + frac * 3599
                items.append(Item(ts, "", kind, "delivery", incident=True))
    for minutes, _ in INCIDENT_STATUS:
        items.append(
            Item(
                inc_ts + minutes * 60 + rng.uniform(0, 50),
                "twitter",
                "brand",
                "delivery",
                incident=True,
            )
        )
    items.sort(key=lambda it: it.ts)
    return items


# --------------------------------------------------------------------------- build


class Builder:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.writer = Writer(self.rng)
        self.tw_people = People(self.rng, make_names(self.rng, 1100, reddit=False))
        self.rd_people = People(self.rng, make_names(self.rng, 420, reddit=True))
        self.items: list[Item] = []
        self.tweets: list[Item] = []
        self.submissions: list[Item] = []
        self.reddit_posts: list[Item] = []
        self.status_tweets: list[Item] = []
        self.incident_thread: Item | None = None
        self.status_index = 0
        self.used: set[str] = set()
        self.last_template = ""

    # -- text helpers
    def template(self, kind: str, topic: str | None, incident: bool) -> str:
        if incident and kind == "complaint":
            return self.rng.choice(INCIDENT_COMPLAINTS)
        if incident and kind == "question":
            return self.rng.choice(INCIDENT_QUESTION_TEXTS)
        return self.rng.choice(T[(kind, topic)])

    def compose(self, it: Item, direct: bool) -> str:
        """A fresh text for the post; re-rolls a few times to keep exact duplicates rare."""
        text = ""
        for _ in range(12):
            text = self.compose_once(it, direct)
            if text not in self.used:
                break
        self.used.add(text)
        return text

    def compose_once(self, it: Item, direct: bool) -> str:
        rng = self.rng
        forms = brand_forms(rng, it.platform, direct)
        self.last_template = self.template(it.kind, it.topic, it.incident)
        text = self.writer.fill(self.last_template, forms, it.incident)
        if it.kind in LEADS and rng.random() < 0.25:
            lead = rng.choice(LEADS[it.kind])
            if not text.startswith("@"):
                text = lead + text
        if it.kind in TAILS and rng.random() < 0.2:
            tail = self.writer.fill(rng.choice(TAILS[it.kind]), forms)
            text = text.rstrip(".") + ("" if tail[:1] in ".,!?" else " ") + tail
        customer = it.kind in ("praise", "question", "complaint")
        if it.platform == "twitter" and customer and "parcelly" not in text.lower():
            text = ("@parcelly " + text) if rng.random() < 0.6 else (text + " @parcelly")
        return self.writer.roughen(text, it.kind, it.platform)

    # -- platform builders
    def build_tweet(self, it: Item) -> None:
        rng = self.rng
        it.platform = "twitter"
        if it.kind == "brand":
            it.author = BRAND_X
            _, text = INCIDENT_STATUS[self.status_index]
            self.status_index += 1
            it.text = self.writer.fill(text, ["Parcelly"])
            self.status_tweets.append(it)
            self.tweets.append(it)
            return
        it.author = self.tw_people.pick()
        # Retweet of a recent original with the same kind/topic.
        if it.kind in ("praise", "complaint", "noise") and rng.random() < (
            0.18 if it.incident else 0.05
        ):
            window = 2 * 3600 if it.incident else 24 * 3600
            pool = [
                t
                for t in self.tweets[-400:]
                if t.kind == it.kind
                and t.topic == it.topic
                and t.incident == it.incident
                and not t.retweeted
                and t.author not in (BRAND_X, it.author)
                and it.ts - t.ts < window
                and not t.text.startswith("RT @")
            ]
            if pool:
                orig = rng.choice(pool)
                orig.retweeted = True
                text = f"RT @{orig.author}: {orig.text}"
                it.text = text if len(text) <= 280 else text[:279] + "…"
                self.tweets.append(it)
                return
        # Reply into an existing conversation.
        if it.incident and it.kind == "complaint" and self.status_tweets and rng.random() < 0.35:
            parent = self.status_tweets[-1]
            it.parent, it.root = parent, parent.root or parent
            it.text = self.writer.roughen(
                "@parcelly "
                + self.writer.fill(
                    rng.choice(INCIDENT_REPLIES + INCIDENT_COMPLAINTS[:6]),
                    ["parcelly", "parcelly"],
                    True,
                ),
                it.kind,
                "twitter",
            )
            self.tweets.append(it)
            return
        if it.kind in ("praise", "complaint", "noise") and rng.random() < (
            0.3 if it.incident else 0.1
        ):
            window = 2 * 3600 if it.incident else 4 * 3600
            pool = [
                t
                for t in self.tweets[-200:]
                if t.kind == it.kind
                and t.topic == it.topic
                and t.author not in (BRAND_X, it.author)
                and it.ts - t.ts < window
                and not t.text.startswith("RT @")
            ]
            if pool:
                parent = rng.choice(pool)
                it.parent, it.root = parent, parent.root or parent
                if it.incident:
                    body = self.writer.fill(rng.choice(INCIDENT_REPLIES), ["parcelly"], True)
                else:
                    lead = rng.choice(REPLY_SAME)
                    inner = self.compose(it, direct=False)
                    body = f"{lead} {inner[:1].lower() + inner[1:]}"
                text = f"@{parent.author} {body}"
                if it.kind == "complaint" and "@parcelly" not in text:
                    text += " @parcelly"
                it.text = self.writer.roughen(text, it.kind, "twitter") if it.incident else text
                self.tweets.append(it)
                return
        direct = rng.random() < (0.55 if it.kind != "noise" else 0.1)
        it.text = self.compose(it, direct)
        self.tweets.append(it)

    def build_reddit(self, it: Item) -> None:
        rng = self.rng
        it.platform = "reddit"
        it.author = self.rd_people.pick()
        recent = [s for s in self.submissions[-60:] if it.ts - s.ts < 10 * 3600]
        if it.incident and self.incident_thread is not None and rng.random() < 0.75:
            recent = [self.incident_thread]
        want_comment = bool(recent) and rng.random() < (0.85 if it.incident else 0.6)
        if not want_comment or (it.kind == "spam" and rng.random() < 0.5):
            text = self.compose(it, direct=True)
            first_template = self.last_template
            title = text if len(text) <= 110 else text[:107].rsplit(" ", 1)[0] + "..."
            title = title[:1].upper() + title[1:]
            body = ""
            if len(title) < len(text):
                body = text
            elif it.kind in ("praise", "complaint") and rng.random() < 0.5:
                second = text
                for _ in range(6):
                    second = self.compose(it, direct=True)
                    if self.last_template != first_template:
                        break
                closer = rng.choice(REDDIT_CLOSERS)
                body = f"{second[:1].upper() + second[1:]} {closer}".strip()
            it.text = f"{title}\n\n{body}" if body else title
            it.slug = slugify(title)
            self.submissions.append(it)
            if it.incident and self.incident_thread is None:
                self.incident_thread = it
            self.reddit_posts.append(it)
            return
        same_topic = [s for s in recent if s.topic == it.topic]
        sub = rng.choice(same_topic if same_topic and rng.random() < 0.7 else recent)
        comments = [c for c in self.reddit_posts[-80:] if c.root is sub]
        parent = rng.choice(comments) if comments and rng.random() < 0.35 else sub
        it.parent, it.root, it.slug = parent, sub, sub.slug
        if it.incident and it.kind == "complaint" and rng.random() < 0.5:
            text = self.writer.roughen(
                self.writer.fill(rng.choice(INCIDENT_REPLIES), ["Parcelly"], True),
                it.kind,
                "reddit",
            )
        else:
            text = self.compose(it, direct=False)
        if parent.kind != "brand" and it.kind in ("praise", "complaint") and rng.random() < 0.5:
            if parent.sentiment == it.sentiment:
                lead = rng.choice(REPLY_SAME)
            elif parent.sentiment != "neutral":
                lead = rng.choice(REPLY_OPPOSITE)
            else:
                lead = ""
            if lead:
                text = f"{lead[:1].upper() + lead[1:]} {text[:1].lower() + text[1:]}"
        it.text = text
        parent.children += 1
        self.reddit_posts.append(it)

    def brand_replies(self) -> list[Item]:
        """The brand answering some customers, minutes to hours later."""
        rng = self.rng
        out: list[Item] = []
        for it in self.items:
            if (
                it.author in (BRAND_X, BRAND_REDDIT)
                or it.text.startswith("RT @")
                or it.kind in ("noise", "spam")
            ):
                continue
            if it.incident:
                p = 0.2
            else:
                p = {"complaint": 0.16, "question": 0.2, "praise": 0.05}.get(it.kind, 0.0)
            if it.platform == "reddit" and it.parent is not None:
                p /= 3
            if rng.random() >= p:
                continue
            ts = it.ts + rng.uniform(4 * 60, (40 if it.incident else 150) * 60)
            if ts > END_TS:
                continue
            reply = Item(ts, it.platform, "brand", it.topic, incident=it.incident)
            reply.parent, reply.root = it, it.root or it
            if it.platform == "twitter":
                reply.author = BRAND_X
                key = (
                    "incident"
                    if it.incident
                    else (it.topic if it.kind == "complaint" and it.topic else it.kind)
                )
                reply.text = f"@{it.author} " + self.writer.fill(
                    rng.choice(BRAND_REPLY[key]), ["Parcelly"]
                )
            else:
                reply.author = BRAND_REDDIT
                reply.slug = it.slug
                pool = {"praise": REDDIT_BRAND_THANKS, "question": REDDIT_BRAND_ANSWER}.get(
                    it.kind, REDDIT_BRAND_REPLY
                )
                reply.text = self.writer.fill(
                    rng.choice(pool).replace("{user}", it.author), ["Parcelly"]
                )
            out.append(reply)
        if self.incident_thread is not None:
            thread = self.incident_thread
            pinned = Item(thread.ts + 25 * 60, "reddit", "brand", "delivery", incident=True)
            pinned.parent, pinned.root, pinned.slug = thread, thread, thread.slug
            pinned.author, pinned.text = BRAND_REDDIT, REDDIT_INCIDENT_BRAND
            out.append(pinned)
        return out

    def build(self) -> list[Item]:
        for it in schedule(self.rng):
            if it.platform == "twitter":
                self.build_tweet(it)
            else:
                share = 0.78 if it.incident else 0.70
                if self.rng.random() < share:
                    self.build_tweet(it)
                else:
                    self.build_reddit(it)
            self.items.append(it)
        self.items.extend(self.brand_replies())
        self.items.sort(key=lambda it: it.ts)
        self.assign_ids()
        return self.items

    def assign_ids(self) -> None:
        rng = self.rng
        last_tweet = 0
        sub_id = int("1oq2a00", 36)
        com_id = int("nk3b0000", 36)
        for it in self.items:
            if it.platform == "twitter":
                ms = int(it.ts * 1000)
                snow = (
                    ((ms - TWITTER_EPOCH_MS) << 22)
                    | (rng.randrange(1024) << 12)
                    | rng.randrange(64)
                )
                last_tweet = max(last_tweet + 1, snow)
                it.id = str(last_tweet)
            elif it.parent is None:
                sub_id += rng.randint(40, 400)
                it.id = base36(sub_id)
            else:
                com_id += rng.randint(300, 4000)
                it.id = base36(com_id)


def slugify(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = ""
    for w in words:
        if len(slug) + len(w) + 1 > 50:
            break
        slug = f"{slug}_{w}" if slug else w
    return slug or "post"


def base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_record(it: Item) -> dict[str, str | None]:
    if it.platform == "twitter":
        url = f"https://x.com/{it.author}/status/{it.id}"
        conv = it.root.id if it.root is not None else None
    else:
        sub = it.root or it
        url = f"https://www.reddit.com/r/{SUBREDDIT}/comments/{sub.id}/{sub.slug}/"
        if it.parent is not None:
            url += f"{it.id}/"
        conv = sub.id if it.parent is not None else None
    return {
        "platform": it.platform,
        "id": it.id,
        "author": it.author,
        "text": it.text,
        "created_at": iso(it.ts),
        "in_reply_to": it.parent.id if it.parent is not None else None,
        "conversation_id": conv,
        "url": url,
        "lang": "en",
    }


# --------------------------------------------------------------------------- checks / summary

REQUIRED = (
    "platform",
    "id",
    "author",
    "text",
    "created_at",
    "in_reply_to",
    "conversation_id",
    "url",
    "lang",
)


def check(path: Path) -> list[dict[str, str | None]]:
    """Re-read the written file and validate every line against the contract."""
    records: list[dict[str, str | None]] = []
    seen: set[tuple[str, str]] = set()
    previous = ""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            rec = json.loads(line)
            missing = [k for k in REQUIRED if k not in rec]
            assert not missing, f"line {number}: missing {missing}"
            assert rec["platform"] in ("twitter", "reddit"), number
            assert re.fullmatch(r"2026-11-0[2-8]T\d\d:\d\d:\d\dZ", rec["created_at"]), number
            assert rec["created_at"] >= previous, f"line {number}: not sorted"
            previous = rec["created_at"]
            key = (rec["platform"], rec["id"])
            assert key not in seen, f"line {number}: duplicate id"
            seen.add(key)
            if rec["platform"] == "twitter":
                assert re.fullmatch(r"\d{19}", rec["id"]), number
                assert len(rec["text"]) <= 280, number
            if rec["in_reply_to"] is not None:
                assert (rec["platform"], rec["in_reply_to"]) in seen, f"line {number}: parent later"
            records.append(rec)
    return records


def summarize(items: list[Item], records: list[dict[str, str | None]]) -> None:
    print(f"posts: {len(records)}")
    platforms = Counter(r["platform"] for r in records)
    print(
        "by platform: "
        + ", ".join(f"{k} {v} ({v / len(records):.0%})" for k, v in sorted(platforms.items()))
    )

    def kind_of(it: Item) -> str:
        if it.text.startswith("RT @"):
            return f"{it.kind} (retweet)"
        return it.kind

    kinds = Counter(kind_of(it) for it in items)
    print("by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    customer = [
        it for it in items if it.kind in ("praise", "question", "complaint", "noise", "spam")
    ]
    normal = [it for it in customer if not it.incident]
    shares = Counter(it.kind for it in normal)
    print(
        "mix outside the incident (customer posts): "
        + ", ".join(f"{k} {v / len(normal):.0%}" for k, v in sorted(shares.items()))
    )
    print(f"\n{'kind':<10}" + "".join(f"{t:>18}" for t in [*TOPICS, "(none)"]))
    for kind in ("praise", "question", "complaint", "noise", "spam", "brand"):
        row = Counter(it.topic or "(none)" for it in items if it.kind == kind)
        print(f"{kind:<10}" + "".join(f"{row.get(t, 0):>18}" for t in [*TOPICS, "(none)"]))
    texts = Counter(r["text"] for r in records)
    dups = sum(v - 1 for v in texts.values() if v > 1)
    print(f"\nduplicate texts: {dups} ({dups / len(records):.2%})")
    incident = [it for it in items if it.incident]
    print(
        f"incident posts: {len(incident)} (2026-11-06 14:00 - ~19:00 UTC), "
        f"{sum(1 for it in incident if it.platform == 'reddit')} on reddit"
    )

    hourly = Counter(
        int((it.ts - START.timestamp()) // 3600) for it in items if it.negative_delivery
    )
    print("\nnegative delivery posts per hour (rows: day, columns: UTC hour)")
    print("           " + "".join(f"{h:>3}" for h in range(24)))
    for day in range(DAYS):
        date = (START + timedelta(days=day)).strftime("%a %m-%d")
        print(f"{date:<11}" + "".join(f"{hourly.get(day * 24 + h, 0):>3}" for h in range(24)))
    inc_hour = int((INCIDENT_START - START).total_seconds() // 3600)
    outside = [hourly.get(h, 0) for h in range(HOURS) if not inc_hour <= h < inc_hour + 6]
    day_hours = [
        hourly.get(h, 0)
        for h in range(HOURS)
        if not inc_hour <= h < inc_hour + 6 and 8 <= h % 24 <= 22
    ]
    print(
        f"outside the incident: mean {sum(outside) / len(outside):.2f}/h, "
        f"daytime (08-22) mean {sum(day_hours) / len(day_hours):.2f}/h, max {max(outside)}/h"
    )
    print("around the incident (2026-11-06):")
    for h in range(inc_hour - 4, inc_hour + 9):
        print(f"  {h % 24:02d}:00  {hourly.get(h, 0):>3}  " + "#" * hourly.get(h, 0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output JSONL path")
    args = parser.parse_args(argv)
    items = Builder().build()
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="\n") as fh:
        for it in items:
            fh.write(json.dumps(to_record(it), ensure_ascii=False) + "\n")
    records = check(out)
    print(f"wrote {out}")
    summarize(items, records)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
