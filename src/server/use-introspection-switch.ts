import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * With introspection off, `__schema` and `__type` fail validation
 * (GRAPHQL_VALIDATION_FAILED). `__typename` and federation's `_service`
 * stay: routers need them to compose and to plan.
 */
export function useIntrospectionSwitch(enabled: boolean): Plugin {
  if (enabled) return {};
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
