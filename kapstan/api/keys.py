"""Reserved config keys the API reads from an application's config."""

AUTO_DEPLOY_KEY = "kapstan.autoDeploy"  # true: deploy what a new config version changes
WEBHOOK_SECRET_KEY = "kapstan.webhookSecret"  # secret: signs the application's CI webhooks
