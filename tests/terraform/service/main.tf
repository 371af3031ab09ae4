# tests/terraform/service/main.tf - what test_terraform_service.py applies
# against ecsd: a cluster, a task definition running httpd from the local
# busybox test image, and a service of two copies with
# wait_for_steady_state, so apply only returns once both tasks run. Changing
# var.mode changes the container's command and environment: the provider
# replaces the task definition (deregisters revision 1, registers 2) and
# calls UpdateService once, which rolls the service out to the new revision.

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "endpoint" {
  type = string
}

variable "mode" {
  type    = string
  default = "one"
}

variable "desired_count" {
  type    = number
  default = 2
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    ecs = var.endpoint
  }
}

resource "aws_ecs_cluster" "main" {
  name = "tf-svc-cluster"
}

resource "aws_ecs_task_definition" "web" {
  family                   = "tf-svc-web"
  network_mode             = "bridge"
  requires_compatibilities = ["EC2"]

  container_definitions = jsonencode([
    {
      name      = "web"
      image     = "ecsd-test/busybox:latest"
      essential = true
      memory    = 64
      # httpd as PID 1 ignores SIGTERM: without this every replaced or
      # deleted task would wait the default 30 s for SIGKILL.
      stopTimeout = 2
      command     = ["httpd", "-f", "-p", "8080", "-h", var.mode == "one" ? "/www" : "/tmp"]
      portMappings = [
        { containerPort = 8080, hostPort = 0, protocol = "tcp" }
      ]
      environment = [
        { name = "MODE", value = var.mode }
      ]
    }
  ])
}

resource "aws_ecs_service" "web" {
  name                               = "tf-svc"
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.web.arn
  desired_count                      = var.desired_count
  launch_type                        = "EC2"
  deployment_minimum_healthy_percent = 50
  deployment_maximum_percent         = 200
  wait_for_steady_state              = true

  tags = {
    team = "blue"
  }
}

output "service_id" {
  value = aws_ecs_service.web.id
}

output "task_definition_arn" {
  value = aws_ecs_task_definition.web.arn
}

output "revision" {
  value = aws_ecs_task_definition.web.revision
}
