import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import {
  TEMPORAL_SUPERVISOR_HEALTH,
  type TemporalSupervisorHealthIndicator,
} from 'temporal-supervisor/nestjs';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Inject(TEMPORAL_SUPERVISOR_HEALTH) private readonly temporal: TemporalSupervisorHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.temporal.isHealthy('temporal')]);
  }
}
