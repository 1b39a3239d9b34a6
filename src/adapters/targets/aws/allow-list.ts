/**
 * The accounts and regions Faultline may inject into (`adapters.targets.aws.accounts`, `regions`).
 * Checked at preview and again at inject; never at revert, listOwned or confirm, so a fault can
 * always be taken out even after the lists changed.
 */
import { FaultlineError } from '../../../core/errors.js';
import { AWS_CONFIG_PATH, type AwsTargetConfig } from './schema.js';

export function checkRegion(region: string, allowed: readonly string[], config: Pick<AwsTargetConfig, 'regions'>): void {
  if (allowed.includes(region)) return;
  const how = config.regions.length > 0 ? `add it to ${AWS_CONFIG_PATH}.regions (allowed now: ${allowed.join(', ')})` : `only the default region ${allowed.join(', ')} is allowed while ${AWS_CONFIG_PATH}.regions is empty: add ${region} there`;
  throw new FaultlineError('protected_target', `region ${region} is not one Faultline may inject into: ${how}`, { region, field: `${AWS_CONFIG_PATH}.regions` });
}

export function checkAccount(account: string, config: Pick<AwsTargetConfig, 'accounts'>): void {
  if (config.accounts.includes(account)) return;
  const how =
    config.accounts.length === 0
      ? `${AWS_CONFIG_PATH}.accounts is empty, so no account is allowed: list the account ids Faultline may inject into`
      : `add it to ${AWS_CONFIG_PATH}.accounts (allowed now: ${config.accounts.join(', ')})`;
  throw new FaultlineError('protected_target', `account ${account} is not one Faultline may inject into: ${how}`, { account, field: `${AWS_CONFIG_PATH}.accounts` });
}

/** Refuses before any call when no account at all is allowed. */
export function checkAnyAccount(config: Pick<AwsTargetConfig, 'accounts'>): void {
  if (config.accounts.length > 0) return;
  throw new FaultlineError('protected_target', `${AWS_CONFIG_PATH}.accounts is empty, so Faultline may inject into no AWS account: list the account ids it may use`, {
    field: `${AWS_CONFIG_PATH}.accounts`,
  });
}
