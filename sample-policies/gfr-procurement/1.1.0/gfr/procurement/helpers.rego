package gfr.procurement

# METADATA
# title: Finding constructor
# description: Builds one reason object of the Gavel decision shape.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 144"}
#   severity: low
finding(rule, citation, message) := {"rule": rule, "citation": citation, "message": message}

# METADATA
# title: Contract value is a positive number
# description: The award's value in INR is present, numeric and positive.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 25"}
#   severity: high
valid_value if {
	is_number(input.contract_value)
	input.contract_value > 0
}

# METADATA
# title: Contract value
# description: The award's value in INR, defined only when valid.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 25"}
#   severity: high
value := input.contract_value if valid_value

# METADATA
# title: Above the competitive bidding threshold
# description: The contract value exceeds the competitive bidding threshold.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 158"}
#   severity: high
above_threshold if value > competitive_bidding_threshold

# METADATA
# title: Known procurement method
# description: The declared method is one of the GFR 2017 modes of procurement listed in data.gfr.config.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 158"}
#   severity: high
known_method if input.procurement_method in data.gfr.config.procurement_methods

# METADATA
# title: Single tender enquiry
# description: The award is made on a single tender (nomination) basis.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166"}
#   severity: medium
is_single_tender if input.procurement_method == "single_tender"

# METADATA
# title: Single-tender record
# description: The single_tender object of the request, or an empty object.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166"}
#   severity: low
single_tender := object.get(input, "single_tender", {})

# METADATA
# title: Evaluation committee members
# description: The evaluators listed on the request, or an empty list.
# custom:
#   citations:
#     - {regulation: "CVC Guidelines", clause: "Conflict of interest declaration by evaluation committee members"}
#   severity: low
evaluators := object.get(input, "evaluators", [])

# METADATA
# title: Non-blank text
# description: True when the argument is a string with non-whitespace content.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 173"}
#   severity: low
non_blank(s) if {
	is_string(s)
	trim_space(s) != ""
}

# METADATA
# title: Emergency declared
# description: The indenting officer has declared the purchase an emergency.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166(ii)"}
#   severity: medium
emergency_declared if input.emergency.declared == true

# METADATA
# title: Emergency certificate recorded
# description: The emergency declaration carries the number of the recorded emergency certificate.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166(ii)"}
#   severity: medium
emergency_certificate_recorded if non_blank(input.emergency.certificate_id)

# METADATA
# title: Emergency path accepted
# description: >-
#   The emergency path applies only when the emergency is declared and the
#   reasons are recorded in an emergency certificate (since 1.1.0; 1.0.0 took
#   the declaration alone).
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166(ii)"}
#   severity: high
emergency_exemption if {
	emergency_declared
	emergency_certificate_recorded
}

# METADATA
# title: Valid PAN
# description: A Permanent Account Number in the Income Tax Department's format (AAAAA9999A).
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 150"}
#   severity: low
valid_pan(pan) if {
	is_string(pan)
	regex.match(`^[A-Z]{5}[0-9]{4}[A-Z]$`, upper(pan))
}

# METADATA
# title: Distinct responsive bidders
# description: PANs of bidders whose quotation is responsive and carries a valid PAN; duplicates count once.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 162"}
#     - {regulation: "GFR 2017", clause: "Rule 173"}
#   severity: medium
valid_bidders := {upper(q.vendor_pan) |
	some q in object.get(input, "quotations", [])
	object.get(q, "responsive", true) == true
	valid_pan(q.vendor_pan)
}
