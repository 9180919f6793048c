import { Controller, HttpCode, Inject, Param, Post, ServiceUnavailableException } from '@nestjs/common';
import type { WorkflowCreator } from 'temporal-supervisor';
import { creatorToken } from 'temporal-supervisor/nestjs';

@Controller('orders')
export class OrdersController {
  constructor(@Inject(creatorToken('orders')) private readonly orders: WorkflowCreator) {}

  @Post(':id')
  @HttpCode(202)
  async place(@Param('id') id: string): Promise<{ workflowId: string; runId: string }> {
    try {
      const { workflowId, runId } = await this.orders.start('processOrder', {
        workflowId: `order-${id}`,
        taskQueue: 'orders',
        args: [id],
      });
      return { workflowId, runId };
    } catch (error) {
      if ((error as Error).name === 'TemporalUnavailableError') {
        throw new ServiceUnavailableException((error as Error).message);
      }
      throw error;
    }
  }
}
