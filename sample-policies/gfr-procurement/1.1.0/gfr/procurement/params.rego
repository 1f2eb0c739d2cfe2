package gfr.procurement

# METADATA
# title: Competitive bidding threshold (INR)
# description: >-
#   Above this contract value the award must go through bids (limited or
#   advertised tender) with competitive quotations and a documented award
#   rationale; at or below it a Local Purchase Committee may buy. Raised in
#   1.1.0 from Rs 2,50,000 to Rs 3,00,000 (the department's revised internal
#   delegation for this sample; not a statement of the current GFR limit).
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 155"}
#     - {regulation: "GFR 2017", clause: "Rule 158"}
#   severity: high
competitive_bidding_threshold := 300000

# METADATA
# title: Minimum competitive quotations
# description: Distinct responsive bidders (valid PAN) required above the threshold.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 162"}
#   severity: high
min_quotations := 3

# METADATA
# title: Minimum award-rationale length (characters)
# description: A rationale shorter than this is treated as too thin and escalated (tightened from 50 to 100 in 1.1.0).
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 173"}
#   severity: medium
rationale_min_length := 100

# METADATA
# title: Competition-advocate threshold for single tenders (INR)
# description: Single-tender awards above this value need the competition advocate's approval.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166"}
#     - {regulation: "GFR 2017", clause: "Rule 23"}
#   severity: high
competition_advocate_threshold := 750000

# METADATA
# title: CVC reporting threshold for single tenders (INR)
# description: >-
#   Single-tender awards above Rs 25 lakh (the advertised-tender limit of the
#   GFR 2017 as notified) must be reported under the CVC guidelines on award
#   of contracts on nomination basis.
# custom:
#   citations:
#     - {regulation: "CVC Guidelines", clause: "Award of contracts on nomination basis"}
#     - {regulation: "GFR 2017", clause: "Rule 161"}
#   severity: high
cvc_report_threshold := 2500000
