import type { TestProject } from "vitest/node";
import { startDynamoLocal } from "../scripts/dynamodb-local.ts";

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/** Uses DYNAMODB_ENDPOINT_URL when given, else starts DynamoDB Local for the run and stops it after. */
export default async function setup(project: TestProject) {
  const given = process.env.DYNAMODB_ENDPOINT_URL;
  if (given) {
    project.provide("dynamoEndpoint", given);
    return;
  }
  const dynamo = await startDynamoLocal();
  project.provide("dynamoEndpoint", dynamo.endpoint);
  return () => dynamo.stop();
}
