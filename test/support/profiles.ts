import type { GatehouseConfigInput } from '@gatehouse/hub';

/**
 * Profiles for the API and browser suites: `small` for everyone, `big` for the staff group with a
 * CPU choice. Their env is GATEHOUSE_DEMO_*, which the demo app shows at <prefix>api/environment.
 */
export const PROFILES: NonNullable<GatehouseConfigInput['profiles']> = [
  { slug: 'small', displayName: 'Small', description: 'One core, for everyone', env: { GATEHOUSE_DEMO_PROFILE: 'small' } },
  {
    slug: 'big',
    displayName: 'Big',
    description: 'For the staff group',
    groups: ['staff'],
    env: { GATEHOUSE_DEMO_PROFILE: 'big' },
    resources: { partition: 'main' },
    choices: {
      cpus: {
        displayName: 'CPUs',
        default: '1',
        options: {
          '1': { displayName: '1 CPU', env: { GATEHOUSE_DEMO_CPUS: '1' }, resources: { cpus: 1 } },
          '4': { displayName: '4 CPUs', env: { GATEHOUSE_DEMO_CPUS: '4' }, resources: { cpus: 4 } },
        },
      },
    },
  },
];
