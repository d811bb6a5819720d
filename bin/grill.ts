/**
 * The CDK app: `cdk synth` / `cdk deploy` run this (see cdk.json). Stage
 * settings come from CDK context; AwsSolutions checks run on every synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GrillStack } from '../lib/grill-stack.ts';
import { stageSettings } from '../lib/stage-settings.ts';

const app = new App();
new GrillStack(app, 'Grill', {
  ...stageSettings(app.node),
  description: "Grill: a serverless job queue speaking Barbeque's API",
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
