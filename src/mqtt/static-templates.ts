import { type TemplateSpec, Templates } from './templates.js';

/**
 * The static templates of core MQTT the mock understands (reference A6, A8),
 * over the device data services.
 */
export function staticTemplates(): Templates {
  return new Templates(new Map<string, TemplateSpec>());
}
