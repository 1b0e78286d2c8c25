-- 0017: quality floors per routing entry (issue 7, with issue 8's KPIs).
-- A supplier of the entry whose live ASR (fraction 0..1) or ACD (seconds)
-- over the last 15 minutes is below the floor is left out of route.lookup
-- while it stays below (docs/routing.md "Quality"). NULL: no floor.
ALTER TABLE routing_plan_entries
    ADD COLUMN min_asr numeric(5,4) CHECK (min_asr >= 0 AND min_asr <= 1),
    ADD COLUMN min_acd integer CHECK (min_acd >= 0 AND min_acd <= 65535);
