package pmla.kyc

# METADATA
# title: Cash transaction reporting threshold (INR)
# description: Cash transactions of more than this value are reported to FIU-IND in the CTR.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(A)"}
#   severity: high
ctr_threshold_inr := 1000000

# METADATA
# title: Structuring band floor (INR)
# description: >-
#   Cash transactions from this amount up to the CTR threshold count as "just below the
#   threshold" for the structuring alert.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#   severity: high
structuring_band_floor_inr := 900000

# METADATA
# title: Structuring look-back window (days)
# description: Band transactions within this many days before the event count towards the alert.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#   severity: high
structuring_window_days := 7

# METADATA
# title: Structuring minimum count
# description: Number of band cash transactions (current one included) that raises the alert.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#   severity: high
structuring_min_count := 3

# METADATA
# title: Structuring window in nanoseconds
# description: structuring_window_days expressed in nanoseconds.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#   severity: low
structuring_window_ns := ((structuring_window_days * 24) * 3600) * 1000000000

# METADATA
# title: Current cash amount
# description: The INR amount of the current transaction when it is a cash transaction.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(A)"}
#   severity: low
cash_amount := input.transaction.amount_inr if {
	is_transaction_event
	transaction_well_formed
	lower(input.transaction.mode) == "cash"
}

# METADATA
# title: Earlier cash transactions of the customer
# description: >-
#   The customer's recent cash transactions (customer.recent_transactions) with a valid
#   timestamp no later than the event, as {ns, amount}.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(B)"}
#   severity: low
prior_cash_transactions := [{"ns": ns, "amount": t.amount_inr} |
	some t in object.get(customer, "recent_transactions", [])
	is_string(t.mode)
	lower(t.mode) == "cash"
	is_number(t.amount_inr)
	valid_timestamp(t.timestamp)
	ns := time.parse_rfc3339_ns(t.timestamp)
	ns <= event_ns
]

# METADATA
# title: Cash transaction above ten lakh is reported (CTR)
# description: >-
#   A cash transaction of more than ten lakh rupees proceeds, flagged for the monthly Cash
#   Transaction Report to FIU-IND (due by the 15th of the following month).
# related_resources:
#   - ref: https://fiuindia.gov.in/
#     description: FIU-IND reporting formats (CTR)
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(A)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 8(1)"}
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(b)"}
#   severity: medium
cash_transaction_report_required contains reason if {
	cash_amount > ctr_threshold_inr
	reason := {
		"rule": "cash_transaction_report_required",
		"citation": "PML (Maintenance of Records) Rules 2005 Rule 3(1)(A)",
		"message": sprintf("cash transaction of INR %v exceeds INR %v: include in the Cash Transaction Report to FIU-IND", [format_int(cash_amount, 10), format_int(ctr_threshold_inr, 10)]),
	}
}

# METADATA
# title: Connected cash transactions above ten lakh in a month are reported
# description: >-
#   A series of cash transactions each below ten lakh rupees whose total within the calendar
#   month (IST) exceeds ten lakh rupees is reported in the CTR.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(B)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 8(1)"}
#   severity: medium
cash_series_report_required contains reason if {
	cash_amount <= ctr_threshold_inr
	month := ist_month(event_ns)
	earlier := [p.amount | some p in prior_cash_transactions; p.amount <= ctr_threshold_inr; ist_month(p.ns) == month]
	count(earlier) > 0
	total := cash_amount + sum(earlier)
	total > ctr_threshold_inr
	reason := {
		"rule": "cash_series_report_required",
		"citation": "PML (Maintenance of Records) Rules 2005 Rule 3(1)(B)",
		"message": sprintf("%v cash transactions below INR %v total INR %v this calendar month: include in the Cash Transaction Report", [count(earlier) + 1, format_int(ctr_threshold_inr, 10), format_int(total, 10)]),
	}
}

# METADATA
# title: Amount lies in the structuring band
# description: True when a cash amount is at or above the band floor and not above the CTR threshold.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#   severity: low
in_structuring_band(amount) if {
	amount >= structuring_band_floor_inr
	amount <= ctr_threshold_inr
}

# METADATA
# title: Cash structuring below the CTR threshold is escalated for an STR
# description: >-
#   Several cash transactions just below the reporting threshold within a short window
#   suggest structuring to avoid the CTR; the event is escalated to the Principal Officer
#   for a Suspicious Transaction Report (due within seven working days).
# related_resources:
#   - ref: https://fiuindia.gov.in/
#     description: FIU-IND Suspicious Transaction Report
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(D)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 8(2)"}
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(b)"}
#   severity: high
structuring_suspected contains reason if {
	in_structuring_band(cash_amount)
	related := [p.amount | some p in prior_cash_transactions; in_structuring_band(p.amount); event_ns - p.ns <= structuring_window_ns]
	n := count(related) + 1
	n >= structuring_min_count
	reason := {
		"rule": "structuring_suspected",
		"citation": "PML (Maintenance of Records) Rules 2005 Rule 2(1)(g); Rule 8(2)",
		"message": sprintf("%v cash transactions between INR %v and INR %v within %v days (total INR %v): possible structuring, refer to the Principal Officer for an STR", [
			n,
			format_int(structuring_band_floor_inr, 10),
			format_int(ctr_threshold_inr, 10),
			structuring_window_days,
			format_int(cash_amount + sum(related), 10),
		]),
	}
}
