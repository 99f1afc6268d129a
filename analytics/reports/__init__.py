"""Reports for support leads and trainers: quality gaps against targets, touchpoints next to NPS, coaching."""
