import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import pino from 'pino';
import { TemporalSupervisorModule } from 'temporal-supervisor/nestjs';
import { HealthController } from './health.controller';
import { OrdersController } from './orders.controller';

@Module({
  imports: [
    TerminusModule,
    TemporalSupervisorModule.registerAsync({
      useFactory: () => ({
        supervisor: {
          address: process.env.TEMPORAL_ADDRESS,
          envConfig: false,
          // Synchronous: pino's asynchronous default can lose its last lines on process.exit (docs/nestjs.md).
          logger: pino(pino.destination({ sync: true })),
          creators: { orders: { deadline: '60s' } },
        },
        readinessDelay: Number(process.env.READINESS_DELAY_MS ?? 0),
      }),
      creators: ['orders'],
    }),
  ],
  controllers: [OrdersController, HealthController],
})
export class AppModule {}
