import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  // process.exit(0) once closed rather than re-raising the signal (pino logs synchronously: app.module.ts).
  app.enableShutdownHooks([], { useProcessExit: true });
  // For the test: when the HTTP server has closed, as a JSON line beside the supervisor's.
  app
    .getHttpServer()
    .on('close', () => console.log(JSON.stringify({ msg: 'HTTP server closed', time: Date.now() })));
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
}
void bootstrap();
