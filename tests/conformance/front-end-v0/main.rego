package frontend.main

# A computed step: reads data.frontend.templates[name].deny only, not the
# tests under data.frontend.templates (which read this rule).
denies(name) = data.frontend.templates[name].deny
