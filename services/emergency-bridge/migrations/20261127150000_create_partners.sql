-- The partner registry of the emergency bridge (A10, A8): the hotlines an order can be
-- transferred to. Schema: emergency_bridge (search_path during migration).
--
-- Each partner is a NATS subscriber addressed by its code (`hotline.transfer.<code>.>`),
-- so the code is also a subject token. A transfer the partner does not acknowledge within
-- `ack_timeout_secs` times out and falls back (an agent calls the partner). Timeouts are
-- data, tuned per partner without a release.

CREATE TABLE partners (
    code             TEXT    PRIMARY KEY CHECK (code ~ '^[a-z0-9_-]{2,32}$'),
    kind             TEXT    NOT NULL CHECK (kind IN ('emergency', 'utility', 'sub_center')),
    name             TEXT    NOT NULL,
    ack_timeout_secs INTEGER NOT NULL CHECK (ack_timeout_secs > 0)
);

-- A10: emergencies go at once to 110 (police), 119 (fire and rescue), 120 (ambulance) and
-- 122 (traffic accidents). An emergency transfer unacknowledged for a minute is handed
-- to an agent to phone through.
INSERT INTO partners (code, kind, name, ack_timeout_secs) VALUES
    ('110', 'emergency', '110 公安报警服务台', 60),
    ('119', 'emergency', '119 消防救援', 60),
    ('120', 'emergency', '120 医疗急救', 60),
    ('122', 'emergency', '122 交通事故报警', 60);
