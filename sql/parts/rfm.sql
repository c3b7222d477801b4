
-- RFM scores: src/rfm.c, docs/rfm.md

-- One customer's scores: 1 .. bins in every dimension, higher is better.
CREATE TYPE custseg.rfm_score AS (
	r integer,
	f integer,
	m integer,
	cell integer				-- 100 * r + 10 * f + m
);
