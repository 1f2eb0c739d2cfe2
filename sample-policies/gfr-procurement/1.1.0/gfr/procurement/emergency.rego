package gfr.procurement

# METADATA
# title: Emergency procurement is audited
# description: >-
#   Under the emergency path goods may be bought without competitive
#   quotations; the reasons are recorded and the award is approved subject to
#   post-facto audit.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rule 166(ii)
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166(ii)"}
#   severity: medium
emergency_procurement contains reason if {
	emergency_exemption
	reason := finding(
		"emergency_procurement",
		"GFR 2017 Rule 166(ii)",
		sprintf("emergency procurement (%v): competitive quotations waived; post-facto audit required", [object.get(input.emergency, "reason", "no reason given")]),
	)
}

# METADATA
# title: Emergency procurement needs a recorded emergency certificate
# description: >-
#   An emergency purchase is allowed only when the reasons are recorded and
#   approved by the competent authority; the request must carry the
#   certificate's number. Without it the emergency path is refused.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rule 166(ii)
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166(ii)"}
#   severity: high
emergency_certificate_missing contains reason if {
	emergency_declared
	not emergency_certificate_recorded
	reason := finding(
		"emergency_certificate_missing",
		"GFR 2017 Rule 166(ii)",
		"emergency declared without a recorded emergency certificate; the emergency path is not available",
	)
}
