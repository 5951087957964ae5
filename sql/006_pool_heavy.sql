-- 006_pool_heavy.sql - container isolation keeps two kinds of warm
-- containers (issue 15): heavy ones preload numpy, pandas and matplotlib
-- while idle, light ones do not, and the keeper makes each kind in
-- proportion to recent demand.  Every container made before was heavy.
ALTER TABLE containers ADD COLUMN heavy INTEGER NOT NULL DEFAULT 1;
