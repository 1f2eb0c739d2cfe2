package pmla.kyc

# METADATA
# title: Customer record
# description: The customer object of the input, or an empty object when absent.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(c)"}
#   severity: low
customer := c if {
	c := object.get(input, "customer", {})
} else := {}

# METADATA
# title: RFC 3339 timestamp format
# description: Shape a timestamp must have before it is parsed (date, time, zone offset).
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
rfc3339_pattern := `^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`

# METADATA
# title: Days in each month
# description: Days of January to December in a common year.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
month_days := [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

# METADATA
# title: Century year that is not a leap year
# description: True for years divisible by 100 but not by 400.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
century_common_year(y) if {
	y % 100 == 0
	y % 400 != 0
}

# METADATA
# title: Days in a given month
# description: Number of days of month m of year y (Gregorian calendar).
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
days_in_month(y, m) := 29 if {
	m == 2
	y % 4 == 0
	not century_common_year(y)
} else := month_days[m - 1]

# METADATA
# title: Timestamp is well formed
# description: >-
#   True when the value is a string in RFC 3339 form naming a real calendar date, so that
#   time.parse_rfc3339_ns cannot fail on it.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
valid_timestamp(ts) if {
	is_string(ts)
	regex.match(rfc3339_pattern, ts)
	to_number(substring(ts, 8, 2)) <= days_in_month(to_number(substring(ts, 0, 4)), to_number(substring(ts, 5, 2)))
}

# METADATA
# title: Event time
# description: >-
#   The event timestamp in nanoseconds. Every date comparison of this policy is made
#   against it, never against the wall clock, so a decision replays identically.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: medium
event_ns := time.parse_rfc3339_ns(input.event.timestamp) if {
	valid_timestamp(input.event.timestamp)
}

# METADATA
# title: India Standard Time offset
# description: UTC+05:30 in nanoseconds; calendar months are counted in IST.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(B)"}
#   severity: low
ist_offset_ns := 19800000000000

# METADATA
# title: Calendar month in IST
# description: The [year, month] of a nanosecond timestamp, in India Standard Time.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(B)"}
#   severity: low
ist_month(ns) := [y, m] if {
	[y, m, _] := time.date(ns + ist_offset_ns)
}

# METADATA
# title: Event is a transaction
# description: True for transaction events (not onboarding).
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#   severity: low
is_transaction_event if event_type == "transaction"

# METADATA
# title: Recognised event types
# description: The event types this policy decides.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#   severity: low
event_types := {"onboarding", "transaction"}

# METADATA
# title: Event type
# description: input.event.type, or "(missing)" when absent.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#   severity: low
event_type := t if {
	t := input.event.type
} else := "(missing)"
