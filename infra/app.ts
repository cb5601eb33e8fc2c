import { createApp } from './create-app';

// Stage and alarm e-mail come from context: `cdk deploy -c stage=prod -c alarmEmail=oncall@example.com`.
createApp();
