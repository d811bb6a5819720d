import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE } from '../../lambdas/adapters/dynamodb/table.ts';

/** Props of {@link GrillTable}. */
export interface GrillTableProps {
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN: it holds every execution's history.
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Grill's single table. Keys and the TTL attribute come from the schema module
 * the adapters and local mode read too, so the three cannot disagree.
 */
export class GrillTable extends Construct {
  /** The table, for grants (`GrillFunction.bindTable`). */
  readonly table: Table;

  constructor(scope: Construct, id: string, props: GrillTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      // On-demand: job traffic is bursty and no one should have to size it.
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.ttlAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
