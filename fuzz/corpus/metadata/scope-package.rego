# METADATA
# scope: package
# title: Module
package p

# METADATA
# title: r
# custom:
#   citations:
#     - {regulation: "A", clause: "1"}
#   frameworks:
#     GFR: ["173", "162"]
r := 1
