package pmla.kyc

# METADATA
# title: Customer record
# description: The customer object of the input, or an empty object when absent.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(c)"}
#   severity: low
customer := object.get(input, "customer", {})

# METADATA
# title: RFC 3339 timestamp format
# description: Shape a timestamp must have before it is parsed (date, time, zone offset).
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
rfc3339_pattern := `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`

# METADATA
# title: Timestamp is well formed
# description: True when the value is a string in RFC 3339 form.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
valid_timestamp(ts) if {
	is_string(ts)
	regex.match(rfc3339_pattern, ts)
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
is_transaction_event if input.event.type == "transaction"

# METADATA
# title: Recognised event types
# description: The event types this policy decides.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#   severity: low
event_types := {"onboarding", "transaction"}
