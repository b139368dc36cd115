-- As ../0016_lti_memberships.sql: the course roster's address (LTI Names and Role Provisioning Services).
ALTER TABLE lti_contexts ADD COLUMN memberships text;
