-- The course roster's address (LTI Names and Role Provisioning Services, `context_memberships_url` of the last
-- launch), so that `grades push` can find the platform user of a roster learner who never launched detente.
ALTER TABLE lti_contexts ADD COLUMN memberships TEXT;
