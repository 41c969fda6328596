-- The narrow daily rollups of 0009 did not make reports fast enough at 10 million events (SQLite
-- still had to group hundreds of thousands of rows per report); the service now keeps closed
-- days of `event_days` in memory and ranks there, so they are dropped.
DROP TABLE snippet_days;
DROP TABLE place_days;
-- A report's moment filter, without reading snippet bodies.
CREATE INDEX snippets_by_moment ON snippets (site_id, moment);
