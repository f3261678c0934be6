/** AWS's partitions: every ARN names one, and an account (with its regions) lives in exactly one. */
export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

/** The partition a region belongs to: China's regions (`cn-…`), GovCloud's (`us-gov-…`), else `aws`. */
export function partitionOf(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
