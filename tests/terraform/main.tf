# tests/terraform/main.tf - what test_terraform.py applies against ecsd: a
# cluster and a two-container task definition using ports, environment, a
# volume with mount points, a health check and dependsOn. Changing
# var.mode makes the provider replace the definition (a new revision).

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

variable "with_cluster" {
  type    = bool
  default = true
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
  count = var.with_cluster ? 1 : 0
  name  = "tf-cluster"
}

resource "aws_ecs_task_definition" "app" {
  family                   = "tf-app"
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  requires_compatibilities = ["FARGATE"]

  volume {
    name = "data"
  }

  container_definitions = jsonencode([
    {
      name      = "web"
      image     = "busybox:latest"
      essential = true
      command   = ["httpd", "-f", "-p", "8080", "-h", "/data"]
      portMappings = [
        { containerPort = 8080 }
      ]
      environment = [
        { name = "MODE", value = var.mode },
        { name = "A_FIRST", value = "1" }
      ]
      mountPoints = [
        { sourceVolume = "data", containerPath = "/data" }
      ]
      healthCheck = {
        command = ["CMD-SHELL", "wget -q -O- http://localhost:8080/ || exit 1"]
        interval = 10
      }
      dependsOn = [
        { containerName = "init", condition = "SUCCESS" }
      ]
    },
    {
      name              = "init"
      image             = "busybox:latest"
      essential         = false
      memoryReservation = 32
      command           = ["sh", "-c", "echo ready > /data/index.html"]
      mountPoints = [
        { sourceVolume = "data", containerPath = "/data" }
      ]
    }
  ])

  tags = {
    team = "blue"
  }
}

output "task_definition_arn" {
  value = aws_ecs_task_definition.app.arn
}

output "revision" {
  value = aws_ecs_task_definition.app.revision
}
