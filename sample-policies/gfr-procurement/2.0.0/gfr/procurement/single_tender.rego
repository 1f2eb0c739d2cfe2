package gfr.procurement

# METADATA
# title: Single tender ground
# description: The ground claimed for the single tender, or an empty string.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166"}
#   severity: low
single_tender_ground := object.get(single_tender, "ground", "")

# METADATA
# title: Single tender justification recorded
# description: The single-tender record carries a non-blank written justification.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166"}
#   severity: low
single_tender_justified if non_blank(single_tender.justification)

# METADATA
# title: Single tender needs a written justification
# description: Purchase from a single source is an exception; the reasons must be recorded in writing.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rule 166 (single tender enquiry)
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166"}
#     - {regulation: "CVC Guidelines", clause: "Award of contracts on nomination basis"}
#   severity: critical
single_tender_justification_missing contains reason if {
	is_single_tender
	not single_tender_justified
	reason := finding(
		"single_tender_justification_missing",
		"GFR 2017 Rule 166",
		"single tender award has no written justification",
	)
}

# METADATA
# title: Single tender only on a permitted ground
# description: A single tender is permitted only for a sole manufacturer, an emergency, or standardisation with existing equipment.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166"}
#   severity: high
single_tender_ground_invalid contains reason if {
	is_single_tender
	not data.gfr.config.single_tender_grounds[single_tender_ground]
	reason := finding(
		"single_tender_ground_invalid",
		"GFR 2017 Rule 166",
		sprintf("single tender ground %v is not one of proprietary, emergency, standardisation", [json.marshal(single_tender_ground)]),
	)
}

# METADATA
# title: Emergency single tender needs an accepted emergency
# description: A single tender on the emergency ground requires the emergency path to apply to the request.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166(ii)"}
#   severity: high
single_tender_emergency_unsupported contains reason if {
	is_single_tender
	single_tender_ground == "emergency"
	not emergency_exemption
	reason := finding(
		"single_tender_emergency_unsupported",
		"GFR 2017 Rule 166(ii)",
		"single tender on the emergency ground without an accepted emergency declaration",
	)
}

# METADATA
# title: Proprietary Article Certificate for sole-source and standardisation purchases
# description: Single tenders on the proprietary or standardisation ground need a Proprietary Article Certificate from the indenting department.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166"}
#   severity: high
proprietary_certificate_missing contains reason if {
	is_single_tender
	data.gfr.config.single_tender_grounds[single_tender_ground].pac_required == true
	object.get(single_tender, "proprietary_article_certificate", false) != true
	reason := finding(
		"proprietary_certificate_missing",
		"GFR 2017 Rule 166",
		sprintf("single tender on the %v ground has no Proprietary Article Certificate", [single_tender_ground]),
	)
}

# METADATA
# title: Approving authority required for a single tender
# description: The competition advocate above the competition-advocate threshold, the contracting officer otherwise.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166"}
#     - {regulation: "GFR 2017", clause: "Rule 23"}
#   severity: high
required_single_tender_approver := "competition_advocate" if {
	value > competition_advocate_threshold
} else := "contracting_officer"

# METADATA
# title: Single tender approved at the right level
# description: >-
#   The single-tender justification must be approved by the authority the
#   contract value requires (a higher authority also suffices); the delegation
#   ladder is data.gfr.config.approver_rank.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rules 23 and 166
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166"}
#     - {regulation: "GFR 2017", clause: "Rule 23"}
#   severity: critical
single_tender_approver_insufficient contains reason if {
	is_single_tender
	valid_value
	ranks := data.gfr.config.approver_rank
	role := object.get(single_tender, "approved_by_role", "")
	object.get(ranks, role, 0) < ranks[required_single_tender_approver]
	reason := finding(
		"single_tender_approver_insufficient",
		"GFR 2017 Rule 166",
		sprintf("single tender of INR %v approved by %v; requires %v", [value, json.marshal(role), required_single_tender_approver]),
	)
}

# METADATA
# title: CVC report for large single tenders
# description: Single-tender awards above the CVC reporting threshold must be reported to the Commission.
# related_resources:
#   - ref: https://cvc.gov.in
#     description: CVC guidelines on award of contracts on nomination basis
# custom:
#   citations:
#     - {regulation: "CVC Guidelines", clause: "Award of contracts on nomination basis"}
#     - {regulation: "GFR 2017", clause: "Rule 166"}
#   severity: critical
single_tender_cvc_report_missing contains reason if {
	is_single_tender
	value > cvc_report_threshold
	object.get(single_tender, "cvc_report_filed", false) != true
	reason := finding(
		"single_tender_cvc_report_missing",
		"CVC Guidelines, award of contracts on nomination basis",
		sprintf("single tender of INR %v exceeds INR %v and no CVC report is recorded", [value, cvc_report_threshold]),
	)
}
