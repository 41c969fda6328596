-- The body as plain text, for search; filled on write (and for older rows when the store opens),
-- so loading a site does not parse every snippet's Markdown again.
ALTER TABLE snippets ADD COLUMN body_text TEXT;
