"""NPS: parse survey answers, record them durably, throttle, and analyse (overall and by group, with 95% CIs)."""
